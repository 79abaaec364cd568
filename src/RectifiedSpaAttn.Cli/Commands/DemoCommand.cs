using System.Globalization;
using RectifiedSpaAttn.Cli.Arguments;
using RectifiedSpaAttn.Cli.Output;
using RectifiedSpaAttn.Cli.Progress;
using RectifiedSpaAttn.Video;
using RectifiedSpaAttn.Workloads;

namespace RectifiedSpaAttn.Cli.Commands;

/// <summary>
/// <c>rsa demo</c>: generates a video-like workload, runs dense, plain block-sparse and rectified attention on it and
/// shows how much closer rectification brings the sparse output to dense attention, and what each method costs.
/// </summary>
internal sealed class DemoCommand : ICommand
{
    /// <summary>Timed calls per method unless --repeat says otherwise.</summary>
    public const int DefaultRepeat = 5;

    /// <summary>A call estimated longer than this is timed once, without a warm-up: compilation is noise at that size.</summary>
    private static readonly TimeSpan LongCall = TimeSpan.FromSeconds(5);

    public string Name => "demo";

    public string Summary => "compare plain block-sparse and rectified attention with dense on a generated video workload";

    public IReadOnlySet<string> Switches { get; } = new HashSet<string>();

    public string Help =>
        $"""
        usage: rsa demo [options]

        Generates video-like Q/K/V (tokens on a T x H x W grid with spatio-temporal locality and a few attention sinks),
        orders the tokens along the 3D Gilbert curve and prints, per head and overall, the density and the error of
        plain block-sparse and of rectified attention against dense attention, with the time of each: the median of
        --repeat calls after one untimed warm-up call (which pays for first-call kernel compilation).

          --seed N                 workload seed (default 1)
          --grid T,H,W             video latent grid (default 8,16,32: 4096 tokens)
          --heads N                attention heads (default 4)
          --head-dim D             head dimension (default 64)
          --repeat N               timed calls per method, after the warm-up (default {DefaultRepeat})
        {SelectionOptions.Help}
        {AcceleratorChoice.Help}
        """;

    public int Run(ParsedArguments args, TextWriter output, TextWriter progress, ProgressDisplay display)
    {
        int seed = args.GetInt("seed") ?? 1;
        int[] grid = args.GetIntList("grid", 3) ?? [8, 16, 32];
        int heads = args.GetInt("heads", min: 1) ?? 4;
        int headDim = args.GetInt("head-dim", min: 1) ?? 64;
        int repeat = args.GetInt("repeat", min: 1) ?? DefaultRepeat;
        SelectionOptions selection = SelectionOptions.Read(args, metadata: null);
        AcceleratorChoice device = AcceleratorChoice.Read(args);
        args.ThrowOnUnknown(Name);

        var videoGrid = new VideoGrid(grid[0], grid[1], grid[2]);
        progress.WriteLine($"generating workload: grid {grid[0]}x{grid[1]}x{grid[2]}, {heads} heads, head dim {headDim}, seed {seed}");
        VideoWorkloadData data = VideoWorkload.Generate(new VideoWorkloadOptions
        {
            Seed = seed,
            Heads = heads,
            Grid = videoGrid,
            HeadDim = headDim,
            TextTokens = selection.TextTokens,
            ValidTextTokens = selection.ValidTextTokens,
        });
        // The workload is in row-major grid order; the options reorder it along the curve (on the device) and back.
        var setup = new AttentionSetup(selection, VideoLayout: new VideoLayout(videoGrid, AxisOrder.Parse("wht")));
        var (q, k, v) = (data.Q, data.K, data.V);

        using var context = Compute.Context.Create();
        using Compute.Accelerator? accelerator = device.Open(context);
        string where = accelerator is null ? "the exact fp64 reference on the host" : accelerator.ToString();

        DemoPlan plan = DemoPlan.For(q.Shape, selection, repeat, accelerator, q.ElementType, LongCall);
        if (plan.Total >= TimeSpan.FromMinutes(1))
            progress.WriteLine($"this demo will take {RunEstimate.Describe(plan.Total)} on {where} (estimated from the problem size and a " +
                $"{RunEstimate.CalibrationTokens}-token run); a smaller --grid or --heads is faster");
        bool live = display.Enabled && plan.Total > TimeSpan.FromSeconds(2);

        var (dense, sparse, rectified) = display.Run(live, sink =>
        {
            TimedCalls<AttentionOutcome> Time(CliMethod method, string title)
            {
                if (sink is null) progress.WriteLine($"{title} ({q.ShapeText}) on {where}: {(plan.WarmUp ? $"1 warm-up call and {plan.Calls} timed" : "1 timed call, no warm-up")}");
                return CallTiming.Measure(
                    call => AttentionExecution.Run(method, q, k, v, setup, accelerator, sink, $"{method.Name()}, {call}"),
                    o => o.Elapsed, plan.Calls, plan.WarmUp);
            }
            return (Time(CliMethod.Dense, "dense attention"), Time(CliMethod.Sparse, $"plain block-sparse attention ({selection})"), Time(CliMethod.Rectified, "rectified attention"));
        }, totalHeads: 3 * (plan.Calls + (plan.WarmUp ? 1 : 0)) * q.Shape[0] * q.Shape[1]);

        HeadMetrics sparseMetrics = HeadMetrics.Compare(sparse.Last.Output, dense.Last.Output);
        HeadMetrics rectifiedMetrics = HeadMetrics.Compare(rectified.Last.Output, dense.Last.Output);
        output.WriteLine($"Rectified SpaAttn demo: {q.ElementType} {q.ShapeText} ([B, H, S, D]), {selection}");
        output.WriteLine($"device: {where}");
        output.WriteLine();
        DemoTables.WriteErrors(output, MaskStatistics.PerHeadDensity(rectified.Last.Mask), rectified.Last.Density, sparseMetrics, rectifiedMetrics);
        output.WriteLine();
        DemoTables.WriteTimes(output, where, [("dense", dense), ("sparse", sparse), ("rectified", rectified)], headByHead: live);
        return CommandLine.Success;
    }
}

/// <summary>How the demo times each method (warm-up, timed calls) and how long all of it should take.</summary>
internal sealed record DemoPlan(bool WarmUp, int Calls, TimeSpan Total)
{
    public static DemoPlan For(ReadOnlySpan<int> shape, SelectionOptions selection, int repeat, Compute.Accelerator? accelerator, Tensors.ElementType type, TimeSpan longCall)
    {
        int tokens = shape[2];
        if (tokens <= RunEstimate.CalibrationTokens) return new DemoPlan(true, repeat, TimeSpan.Zero); // quick anywhere
        double secondsPerOperation = RunEstimate.MeasureSecondsPerOperation(accelerator, type, shape[3]);
        return For(RunEstimate.DenseOperations((long)shape[0] * shape[1], tokens, shape[3]) * secondsPerOperation,
            RunEstimate.SparseShare(selection, selection.KeyBlocks(tokens)), repeat, longCall);
    }

    /// <summary>The plan for a dense call of <paramref name="denseSeconds"/>; the sparse methods cost <paramref name="sparseShare"/> of it.</summary>
    public static DemoPlan For(double denseSeconds, double sparseShare, int repeat, TimeSpan longCall)
    {
        double perRound = denseSeconds * (1 + 2 * sparseShare); // one call of each method
        bool warmUp = TimeSpan.FromSeconds(denseSeconds) <= longCall;
        int calls = warmUp ? repeat : 1;
        return new DemoPlan(warmUp, calls, TimeSpan.FromSeconds(perRound * (calls + (warmUp ? 1 : 0))));
    }
}
