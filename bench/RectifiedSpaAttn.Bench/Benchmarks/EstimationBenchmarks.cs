using BenchmarkDotNet.Attributes;
using RectifiedSpaAttn.Compute;
using RectifiedSpaAttn.Kernels.Attention;
using RectifiedSpaAttn.Kernels.Attention.Estimation;
using RectifiedSpaAttn.Numerics;

namespace RectifiedSpaAttn.Bench.Benchmarks;

/// <summary>
/// The estimation steps of one rectified call (spec steps 1-6 and step 8's terms: four launches) on the first CUDA device, bf16,
/// 128-token blocks, drop rate 0.75 (k_min = nK / 4), tau 0.3, launched as the pipeline launches them, on issue 11's three
/// shapes. <see cref="PrintSteps"/> times each step alone and prints it with the total next to the shape's target.
/// CUDA only: it throws at setup where there is no CUDA device.
/// </summary>
public class EstimationBenchmarks : IDisposable
{
    private const int Block = 128;
    private Context? _context;
    private Accelerator _accelerator = null!;
    private AttentionShape _shape;
    private DeviceBuffer<BFloat16> _q = null!, _k = null!, _v = null!;
    private DeviceBuffer<float> _qMean = null!, _qDev = null!, _kMean = null!, _kDev = null!, _vMean = null!;
    private DeviceBuffer<float> _mass = null!, _text = null!, _r = null!, _c = null!;
    private DeviceBuffer<byte> _mask = null!, _compensable = null!, _neighbors = null!;
    private DeviceBuffer<int> _counts = null!, _lists = null!;

    /// <summary>Issue 11's shapes (S x H x D) and their targets for all the steps together, in milliseconds.</summary>
    public static IReadOnlyList<(string Config, double TargetMs)> Targets { get; } =
        [("75600x40x128", 2.0), ("16384x24x128", 0.4), ("32768x24x64", 0.6)];

    /// <summary>S x H x D.</summary>
    [ParamsSource(nameof(Configs))] public string Config { get; set; } = "75600x40x128";

    /// <summary>The <see cref="Config"/> values.</summary>
    public static IEnumerable<string> Configs => Targets.Select(t => t.Config);

    [GlobalSetup]
    public void Setup()
    {
        int[] size = [.. Config.Split('x').Select(int.Parse)];
        _context = Context.Create();
        _accelerator = CudaBenchmarkDevice.Open(_context, nameof(EstimationBenchmarks));
        _shape = new AttentionShape(1, size[1], size[0], size[2], 0, 0, Block, Block);
        var random = new Random(3);
        _q = UploadRandom(random);
        _k = UploadRandom(random);
        _v = UploadRandom(random);
        long rows = (long)_shape.HeadCount * _shape.QueryBlocks, pairs = rows * _shape.KeyBlocks, stats = rows * _shape.HeadDim;
        _qMean = _accelerator.Allocate<float>(stats); _qDev = _accelerator.Allocate<float>(stats);
        _kMean = _accelerator.Allocate<float>(stats); _kDev = _accelerator.Allocate<float>(stats); _vMean = _accelerator.Allocate<float>(stats);
        _mass = _accelerator.Allocate<float>(pairs); _text = _accelerator.Allocate<float>(rows);
        _r = _accelerator.Allocate<float>(rows); _c = _accelerator.Allocate<float>(stats);
        _mask = _accelerator.Allocate<byte>(pairs); _compensable = _accelerator.Allocate<byte>(pairs); _neighbors = _accelerator.Allocate<byte>(1);
        _counts = _accelerator.Allocate<int>(rows); _lists = _accelerator.Allocate<int>(pairs);
        foreach ((_, Action step) in Steps) step();
        _accelerator.Synchronize();
    }

    /// <summary>
    /// The steps in pipeline order (as <c>EstimationRoute</c> launches them for a rectified call that selects its mask),
    /// each a launch sequence without synchronisation. Timed alone, the row kernel reads the masses the last run left in
    /// place of the logits; that changes which blocks it selects, not its cost.
    /// </summary>
    public IReadOnlyList<(string Name, Action Launch)> Steps =>
    [
        ("pool Q, K, V (+ deviations)", () => EstimationSteps.PoolInputs(_accelerator, _shape, _q.View, _k.View, _v.View, _qMean.View, _qDev.View,
            _kMean.View, _kDev.View, _vMean.View, rectify: true)),
        ("logits + GAPR products", () => EstimationSteps.PooledProducts(_accelerator, _shape, _qMean.View, _qDev.View, _kMean.View, _kDev.View,
            _mass.View, _compensable.View, writeLogits: true, gapr: true)),
        ("masses, selection, lists", () => EstimationSteps.EstimateRows(_accelerator, _shape, _qMean.View, _k.View, _mass.View, _text.View,
            RowWork.Masses | RowWork.Select | RowWork.Compact, new SelectionRule(0.3f, _shape.KeyBlocks / 4, 0, _neighbors.View, false),
            _mask.View, _counts.View, _lists.View)),
        ("R, C", () => EstimationSteps.CompensationTerms(_accelerator, _shape, _vMean.View, _mass.View, _text.View, _mask.View, _compensable.View,
            _r.View, _c.View)),
    ];

    /// <summary>All the steps once, as the pipeline runs them.</summary>
    [Benchmark]
    public void AllSteps()
    {
        foreach ((_, Action step) in Steps) step();
        _accelerator.Synchronize();
    }

    /// <summary>
    /// Times every step alone (<paramref name="calls"/> launches, then one synchronisation, after a warm-up) and all of
    /// them in a row, at each of <see cref="Targets"/>' shapes, and prints them with the target.
    /// </summary>
    public static void PrintSteps(TextWriter output, int calls)
    {
        output.WriteLine($"// estimation steps, bf16, blocks of {Block}, tau 0.3, k_min nK/4; ms per call (mean of {calls})");
        foreach ((string config, double target) in Targets)
        {
            using var bench = new EstimationBenchmarks { Config = config };
            bench.Setup();
            output.WriteLine($"// {config} on {bench._accelerator.Name}");
            foreach ((string name, Action step) in bench.Steps)
                output.WriteLine($"//   {name,-28} {bench.Time(step, calls),8:F3}");
            double total = bench.Time(() => { foreach ((_, Action step) in bench.Steps) step(); }, calls);
            output.WriteLine($"//   {"total",-28} {total,8:F3}   target <= {target:F1}  {(total <= target ? "met" : "missed")}");
        }
    }

    /// <summary>Launches every step <paramref name="calls"/> times back to back (for a profiler: ncu -k regex:... -c N).</summary>
    public void Repeat(int calls)
    {
        for (int i = 0; i < calls; i++)
            foreach ((_, Action step) in Steps) step();
        _accelerator.Synchronize();
    }

    private double Time(Action launch, int calls)
    {
        launch();
        _accelerator.Synchronize();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        for (int i = 0; i < calls; i++) launch();
        _accelerator.Synchronize();
        return clock.Elapsed.TotalMilliseconds / calls;
    }

    private DeviceBuffer<BFloat16> UploadRandom(Random random)
    {
        var host = new BFloat16[_shape.TokenElements];
        for (long i = 0; i < host.Length; i++) host[i] = BFloat16.FromSingle(random.NextSingle() * 2 - 1);
        DeviceBuffer<BFloat16> buffer = _accelerator.Allocate<BFloat16>(host.Length);
        buffer.CopyFrom(host);
        return buffer;
    }

    [GlobalCleanup]
    public void Dispose()
    {
        foreach (IDisposable? d in new IDisposable?[] { _q, _k, _v, _qMean, _qDev, _kMean, _kDev, _vMean, _mass, _text, _r, _c, _mask, _compensable, _neighbors, _counts, _lists })
            d?.Dispose();
        _accelerator?.Dispose();
        _context?.Dispose();
        GC.SuppressFinalize(this);
    }
}
