using BenchmarkDotNet.Attributes;
using RectifiedSpaAttn.Bench.Columns;
using RectifiedSpaAttn.Compute;
using RectifiedSpaAttn.Compute.Cuda;
using RectifiedSpaAttn.Kernels.Corpus;
using RectifiedSpaAttn.Numerics;

namespace RectifiedSpaAttn.Bench.Benchmarks;

/// <summary>
/// The first Hopper attention kernel (<see cref="WgmmaAttentionKernels"/>), dense bf16, B 1; correctness is the
/// tests' job (CorpusHopperTests). Needs a CUDA device of compute capability 9.0.
/// </summary>
public class WgmmaAttentionBenchmarks : IAttentionWorkload, IDisposable
{
    private Context? _context;
    private Accelerator _accelerator = null!;
    private DeviceBuffer<BFloat16> _q = null!, _k = null!, _v = null!, _o = null!;

    [Params(16384)] public int Rows { get; set; }

    [Params(24)] public int Heads { get; set; }

    [Params(128)] public int HeadDim { get; set; }

    /// <summary>4 S² D H: the two products, as the anchors count attention.</summary>
    public double Flops => 4.0 * Rows * Rows * HeadDim * Heads;

    [GlobalSetup]
    public void Setup()
    {
        _context = Context.Create();
        _accelerator = CudaBenchmarkDevice.Open(_context, nameof(WgmmaAttentionBenchmarks));
        long n = (long)Heads * Rows * HeadDim;
        var random = new Random(7);
        var host = new BFloat16[n];
        for (long i = 0; i < n; i++) host[i] = BFloat16.FromSingle(random.NextSingle() * 2 - 1);
        _q = _accelerator.Allocate<BFloat16>(n);
        _k = _accelerator.Allocate<BFloat16>(n);
        _v = _accelerator.Allocate<BFloat16>(n);
        _o = _accelerator.Allocate<BFloat16>(n);
        _q.CopyFrom(host);
        _k.CopyFrom(host);
        _v.CopyFrom(host);
    }

    [Benchmark]
    public void Attention() => WgmmaAttentionKernels.Launch(_accelerator, _q.View, _k.View, _v.View, _o.View, Heads, Rows, HeadDim, 1f / MathF.Sqrt(HeadDim));

    [GlobalCleanup]
    public void Dispose()
    {
        _q?.Dispose();
        _k?.Dispose();
        _v?.Dispose();
        _o?.Dispose();
        _accelerator?.Dispose();
        _context?.Dispose();
        GC.SuppressFinalize(this);
    }
}
