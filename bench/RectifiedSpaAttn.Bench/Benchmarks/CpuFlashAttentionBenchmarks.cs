using BenchmarkDotNet.Attributes;
using RectifiedSpaAttn.Bench.Columns;
using RectifiedSpaAttn.Compute;
using RectifiedSpaAttn.Compute.Cpu;
using RectifiedSpaAttn.Kernels.Attention;
using RectifiedSpaAttn.Kernels.CpuNative;
using RectifiedSpaAttn.Numerics;

namespace RectifiedSpaAttn.Bench.Benchmarks;

/// <summary>
/// The CPU accelerator's hand-vectorised flash attention (<see cref="CpuFlashAttention"/>), fp32 or bf16, B = 1: dense over all
/// S keys, and block-sparse with M = N = 128 where every query block keeps exactly a quarter of the key blocks (its own
/// block plus random others), with the rectification epilogue. FLOPs are 4·B·H·S²·D, times 0.25 for sparse.
/// Each case is checked against fp64 on sampled rows before it is timed.
/// </summary>
public class CpuFlashAttentionBenchmarks : IAttentionWorkload, IDisposable
{
    private const int BlockSize = 128;
    private const int KeptBlocksDivisor = 4;

    private CpuAccelerator? _cpu;
    private DeviceBuffer<float> _q = null!, _k = null!, _v = null!, _o = null!, _r = null!, _c = null!;
    private DeviceBuffer<BFloat16> _qb = null!, _kb = null!, _vb = null!, _ob = null!;
    private DeviceBuffer<int> _counts = null!, _lists = null!;
    private float[] _hq = [], _hk = [], _hv = [], _hr = [], _hc = [];
    private int[] _hCounts = [], _hLists = [];

    /// <summary>"dense" or "sparse" (density 0.25).</summary>
    [Params("dense", "sparse")] public string Mode { get; set; } = "dense";

    /// <summary>"f32" or "bf16" (inputs and output; accumulation is fp32 either way).</summary>
    [Params("f32", "bf16")] public string Element { get; set; } = "f32";

    [Params(4096)] public int S { get; set; }
    [Params(4)] public int H { get; set; }
    [Params(64)] public int D { get; set; }

    private AttentionShape Shape => new(1, H, S, D, 0, 0, BlockSize, BlockSize);
    private int Blocks => (S + BlockSize - 1) / BlockSize;
    private int Kept => Math.Max(1, Blocks / KeptBlocksDivisor);

    /// <summary>4·B·H·S²·D, times the kept fraction for sparse (exact when S is a multiple of the block size).</summary>
    public double Flops => AttentionFlops.Of(1, H, S, D, Mode == "sparse" ? (double)Kept / Blocks : 1.0);

    [GlobalSetup]
    public void Setup()
    {
        _cpu = new CpuAccelerator();
        var random = new Random(11);
        long elements = (long)H * S * D;
        _hq = Values(random, elements); _hk = Values(random, elements); _hv = Values(random, elements);
        if (Element == "bf16")
        {
            // The fp64 check sees exactly the values the kernel sees.
            foreach (float[] x in new[] { _hq, _hk, _hv })
                for (long i = 0; i < x.LongLength; i++) x[i] = BFloat16.FromSingle(x[i]).ToSingle();
        }
        _q = Upload(_hq); _k = Upload(_hk); _v = Upload(_hv);
        _o = _cpu.Allocate<float>(elements);
        _o.Fill(float.NaN);
        _qb = UploadBFloat16(_hq); _kb = UploadBFloat16(_hk); _vb = UploadBFloat16(_hv);
        _ob = _cpu.Allocate<BFloat16>(elements);
        _ob.Fill(BFloat16.NaN);

        int rows = H * Blocks;
        _hCounts = new int[rows];
        _hLists = new int[rows * Blocks];
        for (int row = 0; row < rows; row++)
        {
            // The query block's own key block (locality, as a real mask has) and random others, Kept in all.
            int i = row % Blocks;
            int[] others = [.. Enumerable.Range(0, Blocks).Where(j => j != i)];
            random.Shuffle(others);
            int[] chosen = [i, .. others.Take(Kept - 1)];
            _hCounts[row] = chosen.Length;
            chosen.CopyTo(_hLists, row * Blocks);
        }
        _hr = [.. Enumerable.Range(0, rows).Select(_ => 0.5f + random.NextSingle())];
        _hc = Values(random, (long)rows * D);
        _counts = _cpu.Allocate<int>(rows); _counts.CopyFrom(_hCounts);
        _lists = _cpu.Allocate<int>(_hLists.Length); _lists.CopyFrom(_hLists);
        _r = Upload(_hr); _c = Upload(_hc);

        Attention();
        CheckSampledRows(random);
    }

    [Benchmark]
    public void Attention()
    {
        if (Element == "bf16")
        {
            if (Mode == "dense")
                CpuFlashAttention.DenseAttention(Shape, _qb.View, _kb.View, _vb.View, _ob.View, 0, S);
            else
                CpuFlashAttention.SparseAttention(Shape, _qb.View, _kb.View, _vb.View, _counts.View, _lists.View, _r.View, _c.View, true, _ob.View);
        }
        else if (Mode == "dense")
            CpuFlashAttention.DenseAttention(Shape, _q.View, _k.View, _v.View, _o.View, 0, S);
        else
            CpuFlashAttention.SparseAttention(Shape, _q.View, _k.View, _v.View, _counts.View, _lists.View, _r.View, _c.View, true, _o.View);
    }

    /// <summary>
    /// A benchmark of a wrong kernel measures nothing: recomputes 64 random output rows in fp64 (softmax over the row's
    /// keys, then R·Os + C for sparse) and throws when the relative L2 error exceeds fp32 accumulation noise (for bf16,
    /// the output rounding: 1e-2).
    /// </summary>
    private void CheckSampledRows(Random random)
    {
        float[] o = Element == "bf16" ? [.. _ob.ToArray().Select(x => x.ToSingle())] : _o.ToArray();
        double diff2 = 0, ref2 = 0, maxAbs = 0;
        var logits = new double[S];
        var expected = new double[D];
        for (int sample = 0; sample < 64; sample++)
        {
            int h = random.Next(H), t = random.Next(S), row = h * Blocks + t / BlockSize;
            long head = (long)h * S * D;
            IEnumerable<int> keys = Mode == "dense"
                ? Enumerable.Range(0, S)
                : _hLists.Skip(row * Blocks).Take(_hCounts[row]).SelectMany(j => Enumerable.Range(j * BlockSize, Math.Min(BlockSize, S - j * BlockSize)));
            int[] keyList = [.. keys];
            double max = double.NegativeInfinity;
            for (int n = 0; n < keyList.Length; n++)
            {
                double dot = 0;
                for (int d = 0; d < D; d++) dot += (double)_hq[head + (long)t * D + d] * _hk[head + (long)keyList[n] * D + d];
                logits[n] = dot / Math.Sqrt(D);
                max = Math.Max(max, logits[n]);
            }
            Array.Clear(expected);
            double sum = 0;
            for (int n = 0; n < keyList.Length; n++)
            {
                double w = Math.Exp(logits[n] - max);
                sum += w;
                for (int d = 0; d < D; d++) expected[d] += w * _hv[head + (long)keyList[n] * D + d];
            }
            for (int d = 0; d < D; d++)
            {
                double e = expected[d] / sum;
                if (Mode != "dense") e = _hr[row] * e + _hc[(long)row * D + d];
                double diff = o[head + (long)t * D + d] - e;
                diff2 += diff * diff;
                ref2 += e * e;
                maxAbs = Math.Max(maxAbs, double.IsNaN(diff) ? double.PositiveInfinity : Math.Abs(diff));
            }
        }
        double rel = Math.Sqrt(diff2 / ref2);
        Console.WriteLine($"// cpu flash {Mode} {Element} H {H} S {S} D {D} ({SimdLevels.Best}): sampled relative L2 {rel:E2}, max abs {maxAbs:E2}");
        if (!(rel < (Element == "bf16" ? 1e-2 : 1e-5))) throw new InvalidOperationException($"CPU flash attention ({Mode}) is wrong: sampled relative L2 {rel:E2}.");
    }

    private static float[] Values(Random random, long count)
    {
        var values = new float[count];
        for (long i = 0; i < count; i++) values[i] = random.NextSingle() * 2 - 1;
        return values;
    }

    private DeviceBuffer<float> Upload(float[] values)
    {
        DeviceBuffer<float> buffer = _cpu!.Allocate<float>(values.Length);
        buffer.CopyFrom(values);
        return buffer;
    }

    private DeviceBuffer<BFloat16> UploadBFloat16(float[] values)
    {
        DeviceBuffer<BFloat16> buffer = _cpu!.Allocate<BFloat16>(values.Length);
        buffer.CopyFrom([.. values.Select(BFloat16.FromSingle)]);
        return buffer;
    }

    [GlobalCleanup]
    public void Dispose()
    {
        _q?.Dispose(); _k?.Dispose(); _v?.Dispose(); _o?.Dispose();
        _qb?.Dispose(); _kb?.Dispose(); _vb?.Dispose(); _ob?.Dispose();
        _r?.Dispose(); _c?.Dispose(); _counts?.Dispose(); _lists?.Dispose();
        _cpu?.Dispose();
        GC.SuppressFinalize(this);
    }
}
