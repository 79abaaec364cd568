using BenchmarkDotNet.Attributes;
using RectifiedSpaAttn.Attention;
using RectifiedSpaAttn.Bench.Columns;
using RectifiedSpaAttn.Compute;
using RectifiedSpaAttn.Numerics;
using RectifiedSpaAttn.Tensors;

namespace RectifiedSpaAttn.Bench.Benchmarks;

/// <summary>
/// The whole device API on CUDA at the anchors' largest shape (S 75600, H 40, D 128, bf16, block 128), where the
/// authors' rectified pipeline took 207 ms at drop rate 0.75 and their kernel 548 / 165 / 68.9 ms at density
/// 1.0 / 0.25 / 0.10: dense, block-sparse with a random mask of density 0.25, and rectified (drop 0.75, tau 0.3), whose
/// FLOPs count at the density its selection chose. CUDA only (it throws at setup elsewhere). The rectified case also
/// prints the split between estimation and the attention kernel (<see cref="PrintSplit"/>).
/// </summary>
public class CudaPipelineBenchmarks : IAttentionWorkload, IDisposable
{
    private Context? _context;
    private DeviceTensor<BFloat16> _q = null!, _k = null!, _v = null!;
    private RectifiedSpaAttnOptions _options = new() { DropRate = 0.75, Tau = 0.3 };

    /// <summary>S x H x D.</summary>
    [Params("16384x24x128", "75600x40x128")] public string Shape { get; set; } = "75600x40x128";

    [Params("dense", "sparse-0.25", "rectified")] public string Method { get; set; } = "rectified";

    private (int S, int H, int D) Size
    {
        get
        {
            int[] parts = [.. Shape.Split('x').Select(int.Parse)];
            return (parts[0], parts[1], parts[2]);
        }
    }

    public double Flops => AttentionFlops.Of(1, Size.H, Size.S, Size.D, MeasuredDensity.Of(this, $"{Shape}/{Method}"));

    [GlobalSetup]
    public void Setup()
    {
        _context = Context.Create();
        Accelerator accelerator = CudaBenchmarkDevice.Open(_context, nameof(CudaPipelineBenchmarks));
        var (s, h, d) = Size;
        (_q, _k, _v) = AttentionWorkloads.Upload<BFloat16>(accelerator, h, s, d, seed: 13);
        if (Method == "sparse-0.25")
            _options = new RectifiedSpaAttnOptions { CriticalMask = AttentionWorkloads.RandomMask(h, (s + 127) / 128, 0.25, seed: 7) };
        using AttentionResult<BFloat16> first = Run();
        MeasuredDensity.Record(this, $"{Shape}/{Method}", first.Density);
        if (Method != "rectified")
            AttentionWorkloads.CheckSampledRows($"CUDA {Shape}/{Method}", _q, _k, _v, first.Output, _options.CriticalMask, 128, rows: 4);
        Console.WriteLine($"// CUDA {Shape}/{Method}: density {first.Density:F3} on {accelerator}");
        if (Method == "rectified") PrintSplit(calls: 5);
    }

    /// <summary>
    /// Prints how a rectified call's time splits: the median rectified call against the median block-sparse call given
    /// the mask the rectified call chose (no estimation: the mask's upload, the compact lists, the attention kernel and
    /// the density). The difference is what estimation (pooling, masses, selection, GAPR and the terms) costs.
    /// </summary>
    /// <param name="calls">Timed calls of each kind, after one untimed call.</param>
    public void PrintSplit(int calls)
    {
        HostTensor<bool> chosen;
        using (AttentionResult<BFloat16> first = AttentionOperations.Rectified(_q, _k, _v, _options, AttentionDiagnostics.Mask))
            chosen = first.Mask!;
        var withMask = new RectifiedSpaAttnOptions { CriticalMask = chosen };
        double rectified = MedianMilliseconds(() => AttentionWorkloads.Run("rectified", _q, _k, _v, _options), calls);
        double sparse = MedianMilliseconds(() => AttentionWorkloads.Run("sparse", _q, _k, _v, withMask), calls);
        double density = chosen.Span.Count(true) / (double)chosen.Length;
        Console.WriteLine(
            $"// split {Shape}: rectified {rectified:F2} ms = estimation {rectified - sparse:F2} ms + attention {sparse:F2} ms " +
            $"(block-sparse given the chosen mask, density {density:F3}, mask upload included; medians of {calls})");
    }

    private static double MedianMilliseconds(Func<AttentionResult<BFloat16>> call, int calls)
    {
        call().Dispose();
        var times = new double[calls];
        for (int i = 0; i < calls; i++)
        {
            var clock = System.Diagnostics.Stopwatch.StartNew();
            call().Dispose();
            times[i] = clock.Elapsed.TotalMilliseconds;
        }
        Array.Sort(times);
        return times[calls / 2];
    }

    private AttentionResult<BFloat16> Run() => AttentionWorkloads.Run(Method, _q, _k, _v, _options);

    [Benchmark]
    public void Attention()
    {
        using AttentionResult<BFloat16> result = Run();
    }

    [GlobalCleanup]
    public void Dispose()
    {
        _context?.Dispose();
        _context = null;
        GC.SuppressFinalize(this);
    }
}
