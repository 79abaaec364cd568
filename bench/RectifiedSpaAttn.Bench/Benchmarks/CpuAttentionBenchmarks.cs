using BenchmarkDotNet.Attributes;
using RectifiedSpaAttn.Attention;
using RectifiedSpaAttn.Bench.Columns;
using RectifiedSpaAttn.Compute;
using RectifiedSpaAttn.Compute.Cpu;
using RectifiedSpaAttn.Tensors;

namespace RectifiedSpaAttn.Bench.Benchmarks;

/// <summary>
/// The CPU accelerator through the device API on the CPU case: fp32, B 1, H 4, S 4096, D 64. Dense attention
/// has a target of 20 GFLOP/s on the 2-core build machine; rectified attention (drop rate 0.75, tau 0.3, block 128)
/// counts its FLOPs at the density its selection chose.
/// </summary>
public class CpuAttentionBenchmarks : IAttentionWorkload, IDisposable
{
    private CpuAccelerator _cpu = null!;
    private DeviceTensor<float> _q = null!, _k = null!, _v = null!;

    [Params(4096)] public int Sequence { get; set; } = 4096;
    [Params(4)] public int Heads { get; set; } = 4;
    [Params(64)] public int HeadDim { get; set; } = 64;
    [Params("dense", "rectified")] public string Method { get; set; } = "dense";

    public double Flops => AttentionFlops.Of(1, Heads, Sequence, HeadDim, Method == "dense" ? 1 : MeasuredDensity.Of(this, Key));

    private string Key => $"{Sequence}x{Heads}x{HeadDim}";

    private static readonly RectifiedSpaAttnOptions Options = new() { DropRate = 0.75, Tau = 0.3 };

    [GlobalSetup]
    public void Setup()
    {
        _cpu = new CpuAccelerator();
        (_q, _k, _v) = AttentionWorkloads.Upload<float>(_cpu, Heads, Sequence, HeadDim, seed: 3);
        using DeviceTensor<float> dense = AttentionOperations.Dense(_q, _k, _v);
        AttentionWorkloads.CheckSampledRows("CPU dense fp32", _q, _k, _v, dense, mask: null, blockSize: 128);
        using AttentionResult<float> rectified = AttentionOperations.Rectified(_q, _k, _v, Options);
        MeasuredDensity.Record(this, Key, rectified.Density);
        Console.WriteLine($"// rectified density {rectified.Density:F3}");
    }

    [Benchmark]
    public void Attention()
    {
        if (Method == "dense")
        {
            using DeviceTensor<float> output = AttentionOperations.Dense(_q, _k, _v);
        }
        else
        {
            using AttentionResult<float> result = AttentionOperations.Rectified(_q, _k, _v, Options);
        }
    }

    [GlobalCleanup]
    public void Dispose()
    {
        _cpu?.Dispose();
        _q = null!;
        GC.SuppressFinalize(this);
    }
}
