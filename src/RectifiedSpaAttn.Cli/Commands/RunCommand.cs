using System.Globalization;
using RectifiedSpaAttn.Cli.Arguments;
using RectifiedSpaAttn.Cli.Output;
using RectifiedSpaAttn.IO;
using RectifiedSpaAttn.Tensors;
using RectifiedSpaAttn.Video;

namespace RectifiedSpaAttn.Cli.Commands;

/// <summary><c>rsa run</c>: attention on Q/K/V read from a file, written back with its block mask.</summary>
internal sealed class RunCommand : ICommand
{
    public string Name => "run";

    public string Summary => "run dense, block-sparse or rectified attention on Q/K/V from a .safetensors or .npz file";

    public IReadOnlySet<string> Switches { get; } = new HashSet<string> { "compare-dense", "neighbors" };

    public string Help =>
        $"""
        usage: rsa run --input FILE --output OUT.safetensors [options]

        Reads q, k, v ([B, H, S, D], bf16/fp16/fp32) from FILE (.safetensors or .npz), computes attention and writes
        'out' (F32 [B, H, S, D]) and 'mask' (BOOL [B, H, nQ, nK], the critical key blocks) to OUT.safetensors.
        When FILE's metadata names block_size, top_k, p (tau) or ff (first-frame blocks), they are used unless given here.

          --input FILE             input tensors (required)
          --output OUT             output .safetensors file (required)
          --q NAME --k NAME --v NAME   tensor names in FILE (default q, k, v)
          --method M               rectified (default), sparse (plain block-sparse) or dense
        {SelectionOptions.Help}
          --video-grid T,H,W       visual tokens form a T x H x W grid in row-major order: they are reordered along the
                                   3D Gilbert curve before attention and put back afterwards
          --axis-order ORDER       the curve's axis order, major first (default wht)
          --neighbors              with --video-grid: blocks that touch in the grid are always critical
          --mask FILE:TENSOR       use this critical-block mask (BOOL [B, H, nQ, nK]) instead of selecting
          --compare-dense          also compute dense attention and print the error against it
        {AcceleratorChoice.Help}
        """;

    public int Run(ParsedArguments args, TextWriter output, TextWriter progress)
    {
        string inputPath = args.GetRequiredString("input");
        string outputPath = args.GetRequiredString("output");
        string qName = args.GetString("q") ?? "q", kName = args.GetString("k") ?? "k", vName = args.GetString("v") ?? "v";
        CliMethod method = CliMethods.Parse(args.GetString("method"));
        int[]? grid = args.GetIntList("video-grid", 3);
        string axisOrder = args.GetString("axis-order") ?? "wht";
        bool neighbors = args.Has("neighbors");
        string? maskSpec = args.GetString("mask");
        bool compareDense = args.Has("compare-dense");
        AcceleratorChoice device = AcceleratorChoice.Read(args);

        progress.WriteLine($"loading {inputPath}");
        InputFile input = InputFile.Load(inputPath);
        SelectionOptions selection = SelectionOptions.Read(args, input.Metadata, note => progress.WriteLine($"using {note}"));
        args.ThrowOnUnknown(Name);
        if (neighbors && grid is null) throw new UsageException("--neighbors needs --video-grid");
        if (!outputPath.EndsWith(".safetensors", StringComparison.OrdinalIgnoreCase))
            throw new UsageException($"--output must be a .safetensors file, got '{outputPath}'");

        HostTensor q = input.Get(qName), k = input.Get(kName), v = input.Get(vName);
        HostTensor<bool>? mask = maskSpec is null ? null : InputFile.LoadMask(maskSpec);

        VideoLayout? layout = null;
        if (grid is not null)
        {
            layout = new VideoLayout(new VideoGrid(grid[0], grid[1], grid[2]), AxisOrder.Parse(axisOrder));
            int visual = q.Shape.Length == 4 ? q.Shape[2] - selection.TextTokens : -1;
            if (visual != layout.Grid.TokenCount)
                throw new ArgumentException($"--video-grid {grid[0]},{grid[1]},{grid[2]} has {layout.Grid.TokenCount} tokens but the input has {visual} visual tokens");
            progress.WriteLine($"reordering {visual} visual tokens along the 3D Gilbert curve (axis order {axisOrder}) and back");
        }
        var options = AttentionExecution.ToOptions(selection, mask, neighborMask: null, layout, useVideoNeighbors: neighbors);

        using var context = Compute.Context.Create();
        using Compute.Accelerator? accelerator = device.Open(context);
        string where = accelerator is null ? "the exact fp64 reference" : accelerator.ToString();
        progress.WriteLine($"{method.Name()} attention on {q.ElementType} {q.ShapeText} with {where}: {selection}{(mask is null ? "" : ", mask from " + maskSpec)}");
        AttentionOutcome outcome = AttentionExecution.Run(method, q, k, v, options, accelerator);
        HostTensor<double> result = outcome.Output;

        output.WriteLine($"method      {method.Name()}");
        output.WriteLine($"accelerator {where}");
        output.WriteLine($"density     {outcome.Density.ToString("F4", CultureInfo.InvariantCulture)}");
        output.WriteLine($"time        {outcome.Elapsed.TotalMilliseconds.ToString("F0", CultureInfo.InvariantCulture)} ms");
        if (compareDense)
        {
            progress.WriteLine("computing dense attention for comparison");
            AttentionOutcome dense = AttentionExecution.Run(CliMethod.Dense, q, k, v, options, accelerator);
            MetricsTable.WriteAgainst(output, "dense attention", HeadMetrics.Compare(result, dense.Output));
        }
        string? expectedName = method switch { CliMethod.Rectified => "out_rectified", CliMethod.Sparse => "sparse_plain", _ => "dense" };
        if (input.Contains(expectedName) && input.Get(expectedName).Shape.SequenceEqual(result.Shape))
            MetricsTable.WriteAgainst(output, $"the input's '{expectedName}'", HeadMetrics.Compare(result, input.Get(expectedName).ToDouble()));

        var metadata = new Dictionary<string, string>
        {
            ["method"] = method.Name(),
            ["block_size"] = selection.BlockSize.ToString(CultureInfo.InvariantCulture),
            ["tau"] = selection.Tau.ToString(CultureInfo.InvariantCulture),
            ["density"] = outcome.Density.ToString("R", CultureInfo.InvariantCulture),
            ["accelerator"] = where,
            ["source"] = Path.GetFileName(inputPath),
        };
        SafeTensorsFile.Write(outputPath, [new("out", result.ToSingle()), new("mask", outcome.Mask)], metadata);
        progress.WriteLine($"wrote {outputPath}");
        return CommandLine.Success;
    }
}
