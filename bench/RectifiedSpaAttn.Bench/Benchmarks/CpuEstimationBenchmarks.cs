using BenchmarkDotNet.Attributes;
using RectifiedSpaAttn.Compute;
using RectifiedSpaAttn.Compute.Cpu;
using RectifiedSpaAttn.Kernels.Attention;
using RectifiedSpaAttn.Kernels.Attention.Estimation;
using RectifiedSpaAttn.Kernels.CpuNative;

namespace RectifiedSpaAttn.Bench.Benchmarks;

/// <summary>
/// The estimation steps of one rectified call on the CPU accelerator (pool Q, K, V with deviations; masses; selection with
/// tau 0.3 and k_min 8; compact lists; GAPR and the rectification terms), fp32 [1, H, S, D] with 128-token blocks: the host
/// implementation (<see cref="CpuEstimation"/>, what the pipeline runs) against the emulated kernels (what it ran before).
/// Both give the same bits; this measures only their cost.
/// </summary>
public class CpuEstimationBenchmarks : IDisposable
{
    private CpuAccelerator _cpu = null!;
    private AttentionShape _shape;
    private DeviceBuffer<float> _x = null!, _qMean = null!, _qDev = null!, _kMean = null!, _kDev = null!, _vMean = null!;
    private DeviceBuffer<float> _mass = null!, _text = null!, _r = null!, _c = null!;
    private DeviceBuffer<byte> _mask = null!, _compensable = null!, _neighbors = null!;
    private DeviceBuffer<int> _counts = null!, _lists = null!;

    /// <summary>Tokens.</summary>
    [Params(4096)] public int S { get; set; } = 4096;

    /// <summary>Heads.</summary>
    [Params(4)] public int H { get; set; } = 4;

    /// <summary>Head dim.</summary>
    [Params(64)] public int D { get; set; } = 64;

    /// <summary>"host" (CpuEstimation) or "kernels" (EstimationSteps, emulated).</summary>
    [Params("host", "kernels")] public string Route { get; set; } = "host";

    [GlobalSetup]
    public void Setup()
    {
        _cpu = new CpuAccelerator();
        _shape = new AttentionShape(1, H, S, D, 0, 0, 128, 128);
        var random = new Random(3);
        var host = new float[_shape.TokenElements];
        for (long i = 0; i < host.Length; i++) host[i] = random.NextSingle() * 2 - 1;
        _x = _cpu.Allocate<float>(host.Length);
        _x.CopyFrom(host);
        long rows = (long)H * _shape.QueryBlocks, pairs = rows * _shape.KeyBlocks, stats = rows * D;
        _qMean = _cpu.Allocate<float>(stats); _qDev = _cpu.Allocate<float>(stats);
        _kMean = _cpu.Allocate<float>(stats); _kDev = _cpu.Allocate<float>(stats); _vMean = _cpu.Allocate<float>(stats);
        _mass = _cpu.Allocate<float>(pairs); _text = _cpu.Allocate<float>(rows);
        _r = _cpu.Allocate<float>(rows); _c = _cpu.Allocate<float>(stats);
        _mask = _cpu.Allocate<byte>(pairs); _compensable = _cpu.Allocate<byte>(pairs); _neighbors = _cpu.Allocate<byte>(1);
        _counts = _cpu.Allocate<int>(rows); _lists = _cpu.Allocate<int>(pairs);
    }

    /// <summary>The five steps as a rectified call runs them (one token tensor stands in for Q, K and V).</summary>
    [Benchmark]
    public void Estimation()
    {
        AttentionShape s = _shape;
        if (Route == "host")
        {
            CpuEstimation.PoolBlocks(s, _x.View, 128, _qMean.View, _qDev.View, true);
            CpuEstimation.PoolBlocks(s, _x.View, 128, _kMean.View, _kDev.View, true);
            CpuEstimation.PoolBlocks(s, _x.View, 128, _vMean.View, _vMean.View, false);
            CpuEstimation.PooledMasses(s, _qMean.View, _kMean.View, _x.View, _mass.View, _text.View);
            CpuEstimation.SelectCriticalBlocks(s, _mass.View, _text.View, 0.3f, 8, 0, _neighbors.View, false, _mask.View);
            CpuEstimation.CompactCriticalBlocks(s, _mask.View, _counts.View, _lists.View);
            CpuEstimation.RectificationTerms(s, _qMean.View, _qDev.View, _kMean.View, _kDev.View, _vMean.View, _mass.View, _text.View,
                _mask.View, _compensable.View, _r.View, _c.View);
        }
        else
        {
            EstimationSteps.PoolBlocks(_cpu, s, _x.View, 128, _qMean.View, _qDev.View, true);
            EstimationSteps.PoolBlocks(_cpu, s, _x.View, 128, _kMean.View, _kDev.View, true);
            EstimationSteps.PoolBlocks(_cpu, s, _x.View, 128, _vMean.View, _vMean.View, false);
            EstimationSteps.PooledMasses(_cpu, s, _qMean.View, _kMean.View, _x.View, _mass.View, _text.View);
            EstimationSteps.SelectCriticalBlocks(_cpu, s, _mass.View, _text.View, 0.3f, 8, 0, _neighbors.View, false, _mask.View);
            EstimationSteps.CompactCriticalBlocks(_cpu, s, _mask.View, _counts.View, _lists.View);
            EstimationSteps.RectificationTerms(_cpu, s, _qMean.View, _qDev.View, _kMean.View, _kDev.View, _vMean.View, _mass.View, _text.View,
                _mask.View, _compensable.View, _r.View, _c.View);
        }
    }

    [GlobalCleanup]
    public void Dispose()
    {
        // Disposing the accelerator frees its buffers.
        _cpu?.Dispose();
        GC.SuppressFinalize(this);
    }
}
