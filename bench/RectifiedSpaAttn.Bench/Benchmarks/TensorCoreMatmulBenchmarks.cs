using BenchmarkDotNet.Attributes;
using RectifiedSpaAttn.Bench.Columns;
using RectifiedSpaAttn.Compute;
using RectifiedSpaAttn.Kernels.Corpus;
using RectifiedSpaAttn.Numerics;

namespace RectifiedSpaAttn.Bench.Benchmarks;

/// <summary>
/// The compiler's tensor-core benchmark: the corpus mma.sync matmul (C f32 = A·B, A and B 16-bit) on the first CUDA
/// device, against cuBLAS through PyTorch (about 790 TFLOP/s for bf16 at 8192³ on the H100, see DeviceAnchors).
/// CUDA only: it throws at setup where there is no CUDA device.
/// </summary>
public class TensorCoreMatmulBenchmarks : IAttentionWorkload, IDisposable
{
    private Context? _context;
    private Accelerator _accelerator = null!;
    private DeviceBuffer<ushort> _a = null!, _b = null!;
    private DeviceBuffer<float> _c = null!;

    /// <summary>M = N = K.</summary>
    [Params(8192)] public int Size { get; set; }

    /// <summary>Operand element type.</summary>
    [Params("bf16", "f16")] public string Element { get; set; } = "bf16";

    /// <summary>cp.async pipeline depth.</summary>
    [Params(3, 4)] public int Stages { get; set; }

    /// <summary>Columns of C per group: 256 (8 warps, one group per multiprocessor) or 128 (4 warps, several).</summary>
    [Params(128, 256)] public int TileN { get; set; }

    /// <summary>Depth of a k tile: 64 halves the barriers per mma at twice the shared memory per stage.</summary>
    [Params(32, 64)] public int TileK { get; set; }

    /// <summary>
    /// Fragment sets: 2 loads the next k step while multiplying this one (about 255 registers); 1 loads as it goes
    /// (fewer live registers, nothing queued across the barrier).
    /// </summary>
    [Params(1, 2)] public int Fragments { get; set; }

    /// <summary>2·M·N·K.</summary>
    public double Flops => 2.0 * Size * Size * Size;

    [GlobalSetup]
    public void Setup()
    {
        _context = Context.Create();
        _accelerator = CudaBenchmarkDevice.Open(_context, nameof(TensorCoreMatmulBenchmarks));
        long elements = (long)Size * Size;
        var random = new Random(5);
        ushort[] host = new ushort[elements];
        // Small values keep the f16 products far from overflow; the bits are valid bf16 and f16 alike for |x| < 1.
        for (long i = 0; i < elements; i++) host[i] = Element == "bf16"
            ? BFloat16.FromSingle(random.NextSingle() - 0.5f).RawBits
            : BitConverter.HalfToUInt16Bits((Half)(random.NextSingle() - 0.5f));
        _a = _accelerator.Allocate<ushort>(elements);
        _b = _accelerator.Allocate<ushort>(elements);
        _c = _accelerator.Allocate<float>(elements);
        _a.CopyFrom(host);
        _b.CopyFrom(host);
        _c.Fill(float.NaN);
        Multiply();
        CheckSampledEntries(host, random);
    }

    /// <summary>
    /// A benchmark of a wrong kernel measures nothing: compares 256 random entries of C with fp64 dot products and
    /// throws when the relative L2 error exceeds fp32 accumulation noise. Prints the error either way.
    /// </summary>
    private void CheckSampledEntries(ushort[] host, Random random)
    {
        float[] c = _c.ToArray();
        double diff2 = 0, ref2 = 0, maxAbs = 0;
        for (int s = 0; s < 256; s++)
        {
            int row = random.Next(Size), col = random.Next(Size);
            double expected = 0;
            for (int k = 0; k < Size; k++) expected += Value(host[(long)row * Size + k]) * Value(host[(long)k * Size + col]);
            double d = c[(long)row * Size + col] - expected;
            diff2 += d * d;
            ref2 += expected * expected;
            maxAbs = Math.Max(maxAbs, double.IsNaN(d) ? double.PositiveInfinity : Math.Abs(d));
        }
        double rel = Math.Sqrt(diff2 / ref2);
        Console.WriteLine($"// matmul {Element} {Size}^3 stages {Stages} tile N {TileN} tile K {TileK} fragments {Fragments}: sampled relative L2 {rel:E2}, max abs {maxAbs:E2}");
        if (!(rel < 1e-4)) throw new InvalidOperationException($"The tensor-core matmul is wrong: sampled relative L2 {rel:E2}.");
    }

    private double Value(ushort bits) => Element == "bf16" ? BFloat16.FromBits(bits).ToSingle() : (double)BitConverter.UInt16BitsToHalf(bits);

    [Benchmark]
    public void Multiply()
    {
        var dims = new LaunchDimensions(
            new Dim3(Size / TileN, Size / TensorCoreMatmulKernels.TileM),
            TensorCoreMatmulKernels.GroupSize(TileN),
            TensorCoreMatmulKernels.SharedBytes(Stages, TileN, TileK, 2));
        if (Element == "bf16")
            TensorCoreMatmulKernels.MatmulKernel.Launch(_accelerator, dims, _a.View.Cast<BFloat16>(), _b.View.Cast<BFloat16>(), _c.View, Size, Size, Size, TensorCoreMatmulKernels.BandRows, Stages, TileN, TileK, Fragments);
        else
            TensorCoreMatmulKernels.MatmulKernel.Launch(_accelerator, dims, _a.View.Cast<Half>(), _b.View.Cast<Half>(), _c.View, Size, Size, Size, TensorCoreMatmulKernels.BandRows, Stages, TileN, TileK, Fragments);
        _accelerator.Synchronize();
    }

    [GlobalCleanup]
    public void Dispose()
    {
        _a?.Dispose();
        _b?.Dispose();
        _c?.Dispose();
        _accelerator?.Dispose();
        GC.SuppressFinalize(this);
    }
}
