using System.Globalization;
using RectifiedSpaAttn.Cli.Arguments;
using RectifiedSpaAttn.Cli.Output;
using RectifiedSpaAttn.Video;
using RectifiedSpaAttn.Workloads;

namespace RectifiedSpaAttn.Cli.Commands;

/// <summary>
/// <c>rsa demo</c>: generates a video-like workload, runs dense, plain block-sparse and rectified attention on it and
/// shows how much closer rectification brings the sparse output to dense attention.
/// </summary>
internal sealed class DemoCommand : ICommand
{
    public string Name => "demo";

    public string Summary => "compare plain block-sparse and rectified attention with dense on a generated video workload";

    public IReadOnlySet<string> Switches { get; } = new HashSet<string>();

    public string Help =>
        $"""
        usage: rsa demo [options]

        Generates video-like Q/K/V (tokens on a T x H x W grid with spatio-temporal locality and a few attention sinks),
        orders the tokens along the 3D Gilbert curve and prints, per head and overall, the density and the error of
        plain block-sparse and of rectified attention against dense attention, with the time of each.

          --seed N                 workload seed (default 1)
          --grid T,H,W             video latent grid (default 8,16,32: 4096 tokens)
          --heads N                attention heads (default 4)
          --head-dim D             head dimension (default 64)
        {SelectionOptions.Help}
        {AcceleratorChoice.Help}
        """;

    public int Run(ParsedArguments args, TextWriter output, TextWriter progress)
    {
        int seed = args.GetInt("seed") ?? 1;
        int[] grid = args.GetIntList("grid", 3) ?? [8, 16, 32];
        int heads = args.GetInt("heads", min: 1) ?? 4;
        int headDim = args.GetInt("head-dim", min: 1) ?? 64;
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
        var layout = new VideoLayout(videoGrid, AxisOrder.Parse("wht"));
        var (q, k, v) = (data.Q, data.K, data.V);
        var options = AttentionExecution.ToOptions(selection, criticalMask: null, neighborMask: null, layout);

        using var context = Compute.Context.Create();
        using Compute.Accelerator? accelerator = device.Open(context);
        string where = accelerator is null ? "exact fp64 reference on the host" : accelerator.ToString();
        progress.WriteLine($"dense attention ({q.ShapeText}) on {where}");
        AttentionOutcome dense = AttentionExecution.Run(CliMethod.Dense, q, k, v, options, accelerator);
        progress.WriteLine($"plain block-sparse attention ({selection})");
        AttentionOutcome sparse = AttentionExecution.Run(CliMethod.Sparse, q, k, v, options, accelerator);
        progress.WriteLine("rectified attention");
        AttentionOutcome rectified = AttentionExecution.Run(CliMethod.Rectified, q, k, v, options, accelerator);

        HeadMetrics sparseMetrics = HeadMetrics.Compare(sparse.Output, dense.Output);
        HeadMetrics rectifiedMetrics = HeadMetrics.Compare(rectified.Output, dense.Output);
        double[] density = PerHeadDensity(rectified.Mask);

        output.WriteLine($"Rectified SpaAttn demo: {q.ShapeText}, {selection}");
        output.WriteLine();
        output.WriteLine("                     rel-L2 vs dense        cosine vs dense");
        output.WriteLine("  head   density     sparse     rectified   sparse     rectified");
        for (int i = 0; i < density.Length; i++)
            output.WriteLine($"  {i,4}   {density[i]:0.0000}      {MetricsTable.F(sparseMetrics.RelativeL2[i])}   {MetricsTable.F(rectifiedMetrics.RelativeL2[i])}    {MetricsTable.F(sparseMetrics.Cosine[i])}   {MetricsTable.F(rectifiedMetrics.Cosine[i])}");
        output.WriteLine($"  all    {rectified.Density:0.0000}      {MetricsTable.F(sparseMetrics.OverallRelativeL2)}   {MetricsTable.F(rectifiedMetrics.OverallRelativeL2)}    {MetricsTable.F(sparseMetrics.OverallCosine)}   {MetricsTable.F(rectifiedMetrics.OverallCosine)}");
        output.WriteLine();
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"time ({where}): dense {dense.Elapsed.TotalMilliseconds:F0} ms, sparse {sparse.Elapsed.TotalMilliseconds:F0} ms, rectified {rectified.Elapsed.TotalMilliseconds:F0} ms"));
        return CommandLine.Success;
    }

    private static double[] PerHeadDensity(Tensors.HostTensor<bool> mask)
    {
        int heads = mask.Shape[0] * mask.Shape[1];
        int perHead = mask.Shape[2] * mask.Shape[3];
        var density = new double[heads];
        for (int i = 0; i < heads; i++)
        {
            int count = 0;
            foreach (bool critical in mask.Span.Slice(i * perHead, perHead)) if (critical) count++;
            density[i] = (double)count / perHead;
        }
        return density;
    }
}
