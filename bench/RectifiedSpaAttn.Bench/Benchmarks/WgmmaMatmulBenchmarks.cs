using BenchmarkDotNet.Attributes;
using RectifiedSpaAttn.Bench.Columns;
using RectifiedSpaAttn.Compute;
using RectifiedSpaAttn.Compute.Cuda;
using RectifiedSpaAttn.Kernels.Corpus;
using RectifiedSpaAttn.Numerics;

namespace RectifiedSpaAttn.Bench.Benchmarks;

/// <summary>
/// The Hopper matmul (<see cref="WgmmaMatmulKernels"/>: TMA ring, wgmma, warp-specialised) at Size³ in bf16, checked on
/// sampled entries against fp64 before timing. C = A·Bᵀ (B stored N x K), the same flops as the mma.sync matmul.
/// Needs a CUDA device of compute capability 9.0.
/// </summary>
public class WgmmaMatmulBenchmarks : IAttentionWorkload, IDisposable
{
    private Context? _context;
    private Accelerator _accelerator = null!;
    private DeviceBuffer<BFloat16> _a = null!, _b = null!;
    private DeviceBuffer<float> _c = null!;
    private TensorMap _mapA = null!, _mapB = null!;

    [Params(8192)] public int Size { get; set; }

    [Params(128, 256)] public int TileN { get; set; }

    public double Flops => 2.0 * Size * Size * Size;

    [GlobalSetup]
    public void Setup()
    {
        _context = Context.Create();
        _accelerator = CudaBenchmarkDevice.Open(_context, nameof(WgmmaMatmulBenchmarks));
        long elements = (long)Size * Size;
        var random = new Random(5);
        var host = new BFloat16[elements];
        for (long i = 0; i < elements; i++) host[i] = BFloat16.FromSingle(random.NextSingle() - 0.5f);
        _a = _accelerator.Allocate<BFloat16>(elements);
        _b = _accelerator.Allocate<BFloat16>(elements);
        _c = _accelerator.Allocate<float>(elements);
        _a.CopyFrom(host);
        _b.CopyFrom(host);
        _c.Fill(float.NaN);
        _mapA = TensorMap.Create2D(_accelerator, _a.View, Size, Size, Size, WgmmaMatmulKernels.TileK, WgmmaMatmulKernels.TileM);
        _mapB = TensorMap.Create2D(_accelerator, _b.View, Size, Size, Size, WgmmaMatmulKernels.TileK, TileN);
        Console.WriteLine($"// {_accelerator.Name}: PTX target {((CudaAccelerator)_accelerator).PtxTarget}");
        Multiply();
        float[] c = _c.ToArray();
        double diff2 = 0, ref2 = 0, maxAbs = 0;
        for (int s = 0; s < 256; s++)
        {
            int row = random.Next(Size), col = random.Next(Size);
            double expected = 0;
            for (int k = 0; k < Size; k++) expected += host[(long)row * Size + k].ToSingle() * (double)host[(long)col * Size + k].ToSingle();
            double d = c[(long)row * Size + col] - expected;
            diff2 += d * d;
            ref2 += expected * expected;
            maxAbs = Math.Max(maxAbs, double.IsNaN(d) ? double.PositiveInfinity : Math.Abs(d));
        }
        double rel = Math.Sqrt(diff2 / ref2);
        Console.WriteLine($"// wgmma matmul bf16 {Size}^3 tile N {TileN}: sampled relative L2 {rel:E2}, max abs {maxAbs:E2}");
        if (!(rel < 1e-4)) throw new InvalidOperationException($"The wgmma matmul is wrong: sampled relative L2 {rel:E2}.");
    }

    [Benchmark]
    public void Multiply()
    {
        var dims = new LaunchDimensions(new Dim3(Size / TileN, Size / WgmmaMatmulKernels.TileM), new Dim3(WgmmaMatmulKernels.GroupSize),
            WgmmaMatmulKernels.SharedBytes(4, TileN));
        WgmmaMatmulKernels.MatmulKernel.Launch<BFloat16>(_accelerator, dims, _mapA, _mapB, _c.View, Size, Size, TileN, 4);
        _accelerator.Synchronize();
    }

    [GlobalCleanup]
    public void Dispose()
    {
        _mapA?.Dispose();
        _mapB?.Dispose();
        _a?.Dispose();
        _b?.Dispose();
        _c?.Dispose();
        _accelerator?.Dispose();
        _context?.Dispose();
        GC.SuppressFinalize(this);
    }
}
