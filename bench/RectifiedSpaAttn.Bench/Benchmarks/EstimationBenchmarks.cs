using BenchmarkDotNet.Attributes;
using RectifiedSpaAttn.Compute;
using RectifiedSpaAttn.Kernels.Attention;
using RectifiedSpaAttn.Kernels.Attention.Estimation;
using RectifiedSpaAttn.Numerics;

namespace RectifiedSpaAttn.Bench.Benchmarks;

/// <summary>
/// The estimation steps of Rectified SpaAttn (pooling, pooled masses + IPAR, selection, compact lists, GAPR + rectification
/// terms) on the first CUDA device at the HunyuanVideo 720p size (S = 75600, H = 40, D = 128, 128-token blocks, bf16).
/// The reference pipeline's whole rectified step (these plus the sparse kernel) took 207 ms there (DeviceAnchors).
/// CUDA only: it throws at setup where there is no CUDA device.
/// </summary>
public class EstimationBenchmarks : IDisposable
{
    private Context? _context;
    private Accelerator _accelerator = null!;
    private AttentionShape _shape;
    private DeviceBuffer<BFloat16> _q = null!, _k = null!;
    private DeviceBuffer<float> _qMean = null!, _qDev = null!, _kMean = null!, _kDev = null!, _vMean = null!;
    private DeviceBuffer<float> _mass = null!, _text = null!, _r = null!, _c = null!;
    private DeviceBuffer<byte> _mask = null!, _compensable = null!, _neighbors = null!;
    private DeviceBuffer<int> _counts = null!, _lists = null!;

    /// <summary>Tokens.</summary>
    [Params(75600)] public int S { get; set; }

    /// <summary>Heads.</summary>
    [Params(40)] public int H { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _context = Context.Create();
        _accelerator = CudaBenchmarkDevice.Open(_context, nameof(EstimationBenchmarks));
        _shape = new AttentionShape(1, H, S, 128, 0, 0, 128, 128);
        var random = new Random(3);
        var host = new BFloat16[_shape.TokenElements];
        for (long i = 0; i < host.Length; i++) host[i] = BFloat16.FromSingle(random.NextSingle() * 2 - 1);
        _q = Upload(host);
        _k = Upload(host);
        long rows = (long)H * _shape.QueryBlocks, pairs = rows * _shape.KeyBlocks, stats = rows * 128;
        _qMean = _accelerator.Allocate<float>(stats); _qDev = _accelerator.Allocate<float>(stats);
        _kMean = _accelerator.Allocate<float>(stats); _kDev = _accelerator.Allocate<float>(stats); _vMean = _accelerator.Allocate<float>(stats);
        _mass = _accelerator.Allocate<float>(pairs); _text = _accelerator.Allocate<float>(rows);
        _r = _accelerator.Allocate<float>(rows); _c = _accelerator.Allocate<float>(stats);
        _mask = _accelerator.Allocate<byte>(pairs); _compensable = _accelerator.Allocate<byte>(pairs); _neighbors = _accelerator.Allocate<byte>(1);
        _counts = _accelerator.Allocate<int>(rows); _lists = _accelerator.Allocate<int>(pairs);
        PoolQueries(); PoolValues(); Masses(); Select(); Compact(); Terms();
    }

    private DeviceBuffer<BFloat16> Upload(BFloat16[] host)
    {
        DeviceBuffer<BFloat16> buffer = _accelerator.Allocate<BFloat16>(host.Length);
        buffer.CopyFrom(host);
        return buffer;
    }

    /// <summary>Step 1 with deviations (as for Q and K).</summary>
    [Benchmark]
    public void PoolQueries()
    {
        EstimationSteps.PoolBlocks(_accelerator, _shape, _q.View, 128, _qMean.View, _qDev.View, true);
        EstimationSteps.PoolBlocks(_accelerator, _shape, _k.View, 128, _kMean.View, _kDev.View, true);
        _accelerator.Synchronize();
    }

    /// <summary>Step 1 without deviations (as for V).</summary>
    [Benchmark]
    public void PoolValues()
    {
        EstimationSteps.PoolBlocks(_accelerator, _shape, _k.View, 128, _vMean.View, _kDev.View, false);
        _accelerator.Synchronize();
    }

    /// <summary>Steps 2-4.</summary>
    [Benchmark]
    public void Masses()
    {
        EstimationSteps.PooledMasses(_accelerator, _shape, _qMean.View, _kMean.View, _k.View, _mass.View, _text.View);
        _accelerator.Synchronize();
    }

    /// <summary>Step 5, the bitonic-sort selection.</summary>
    [Benchmark]
    public void Select()
    {
        EstimationSteps.SelectCriticalBlocks(_accelerator, _shape, _mass.View, _text.View, 0.3f, 147, 0, _neighbors.View, false, _mask.View);
        _accelerator.Synchronize();
    }

    /// <summary>The compact critical lists.</summary>
    [Benchmark]
    public void Compact()
    {
        EstimationSteps.CompactCriticalBlocks(_accelerator, _shape, _mask.View, _counts.View, _lists.View);
        _accelerator.Synchronize();
    }

    /// <summary>Step 6 and step 8's terms.</summary>
    [Benchmark]
    public void Terms()
    {
        EstimationSteps.RectificationTerms(_accelerator, _shape, _qMean.View, _qDev.View, _kMean.View, _kDev.View, _vMean.View,
            _mass.View, _text.View, _mask.View, _compensable.View, _r.View, _c.View);
        _accelerator.Synchronize();
    }

    [GlobalCleanup]
    public void Dispose()
    {
        foreach (IDisposable? d in new IDisposable?[] { _q, _k, _qMean, _qDev, _kMean, _kDev, _vMean, _mass, _text, _r, _c, _mask, _compensable, _neighbors, _counts, _lists })
            d?.Dispose();
        _accelerator?.Dispose();
        GC.SuppressFinalize(this);
    }
}
