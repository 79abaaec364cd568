using System.Globalization;
using RectifiedSpaAttn.Cli.Arguments;
using RectifiedSpaAttn.Cli.Files;
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

        Reads q, k, v ([B, H, S, D], bf16/fp16/fp32) from FILE (.safetensors or .npz; other tensors are not read, whatever
        their dtype), computes attention and writes 'out' (F32 [B, H, S, D]), 'mask' (BOOL [B, H, nQ, nK], the critical
        key blocks) and, for the sparse methods, 'block_mass' (F32 [B, H, nQ, nK]) to OUT.safetensors. OUT must not be
        FILE or the --mask file (by path, link or inode) and its folder must exist and be writable; both are checked first.
        When FILE's metadata names block_size, top_k, p (tau) or ff (first-frame blocks), they are used unless given here,
        checked as the flags are. When FILE holds a BOOL 'mask' (the reference pipeline's), or with --mask, the per-head
        agreement of the masks is printed; `rsa inspect OUT --output DIR` draws them.

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
          --compare-dense          also compute dense attention, print the error against it per head and write it as
                                   'rel_l2_vs_dense' (F64 [B, H])
        {AcceleratorChoice.Help}
        """;

    public int Run(ParsedArguments args, TextWriter output, TextWriter progress, Progress.ProgressDisplay display)
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

        if (!outputPath.EndsWith(".safetensors", StringComparison.OrdinalIgnoreCase))
            throw new UsageException($"--output must be a .safetensors file, got '{outputPath}'");
        string? maskFile = maskSpec is null ? null : InputFile.SplitSpec(maskSpec, "--mask").File;
        // Before any work: the outputs must never replace an input, and a bad output folder is reported now, not after
        // the computation.
        OutputTarget.CheckFile(outputPath, maskFile is null ? [inputPath] : [inputPath, maskFile]);

        string expectedName = method switch { CliMethod.Rectified => "out_rectified", CliMethod.Sparse => "sparse_plain", _ => "dense" };
        progress.WriteLine($"loading {inputPath}");
        InputFile input = InputFile.Load(inputPath, qName, kName, vName);
        SelectionOptions selection = SelectionOptions.Read(args, input.Metadata, note => progress.WriteLine($"using {note}"));
        args.ThrowOnUnknown(Name);
        if (neighbors && grid is null) throw new UsageException("--neighbors needs --video-grid");

        HostTensor q = input.Get(qName), k = input.Get(kName), v = input.Get(vName);
        HostTensor<bool>? mask = maskSpec is null ? null : InputFile.LoadMask(maskSpec);
        selection.CheckAgainst(q.Shape, mask, maskSpec);

        VideoLayout? layout = null;
        if (grid is not null)
        {
            layout = new VideoLayout(new VideoGrid(grid[0], grid[1], grid[2]), AxisOrder.Parse(axisOrder));
            int visual = q.Shape.Length == 4 ? q.Shape[2] - selection.TextTokens : -1;
            if (visual != layout.Grid.TokenCount)
                throw new ArgumentException($"--video-grid {grid[0]},{grid[1]},{grid[2]} has {layout.Grid.TokenCount} tokens but the input has {visual} visual tokens");
            progress.WriteLine($"reordering {visual} visual tokens along the 3D Gilbert curve (axis order {axisOrder}) and back");
        }
        var setup = new AttentionSetup(selection, mask, layout, neighbors);

        using var context = Compute.Context.Create();
        using Compute.Accelerator? accelerator = device.Open(context);
        string where = accelerator is null ? "the exact fp64 reference" : accelerator.ToString();
        progress.WriteLine($"{method.Name()} attention on {q.ElementType} {q.ShapeText} with {where}: {selection}{(mask is null ? "" : ", mask from " + maskSpec)}");

        // Long runs (estimated from the problem size) show live progress by head on a terminal.
        TimeSpan estimate = RunEstimate.ForRun(q, method, selection, accelerator, withDense: compareDense);
        if (estimate >= TimeSpan.FromMinutes(1)) progress.WriteLine($"this will take {RunEstimate.Describe(estimate)} on {where}");
        bool live = display.Enabled && estimate > TimeSpan.FromSeconds(2);
        var (outcome, dense, ownSelection) = display.Run(live, sink =>
        {
            AttentionOutcome main = AttentionExecution.Run(method, q, k, v, setup, accelerator, sink, method.Name());
            AttentionOutcome? denseRun = null, own = null;
            if (compareDense)
            {
                if (sink is null) progress.WriteLine("computing dense attention for comparison");
                denseRun = AttentionExecution.Run(CliMethod.Dense, q, k, v, setup, accelerator, sink, "dense, for comparison");
            }
            if (mask is not null && method != CliMethod.Dense)
            {
                // What the method would have selected on its own, to say how far the given mask is from it.
                if (sink is null) progress.WriteLine("selecting critical blocks without --mask, to compare");
                own = AttentionExecution.Run(method, q, k, v, setup with { CriticalMask = null }, accelerator, sink, "own selection, for comparison");
            }
            return (main, denseRun, own);
        }, totalHeads: q.Rank == 4 ? (1 + (compareDense ? 1 : 0) + (mask is not null && method != CliMethod.Dense ? 1 : 0)) * q.Shape[0] * q.Shape[1] : 0);
        HostTensor<double> result = outcome.Output;

        output.WriteLine($"method      {method.Name()}");
        output.WriteLine($"accelerator {where}");
        output.WriteLine($"density     {outcome.Density.ToString("F4", CultureInfo.InvariantCulture)}");
        output.WriteLine($"time        {outcome.Elapsed.TotalMilliseconds.ToString("F0", CultureInfo.InvariantCulture)} ms (one call, first-call kernel compilation included{(live ? ", heads one at a time for the progress display" : "")}; `rsa demo` gives warmed-up medians)");
        if (dense is not null) MetricsTable.WriteAgainst(output, "dense attention", HeadMetrics.Compare(result, dense.Output));
        if (input.TryGetOptional(expectedName) is { } expected && expected.Shape.SequenceEqual(result.Shape))
            MetricsTable.WriteAgainst(output, $"the input's '{expectedName}'", HeadMetrics.Compare(result, expected.ToDouble()));

        string? against = null;
        if (ownSelection is not null)
        {
            MaskAgreementTable.Write(output, $"the given --mask against the method's own selection", mask!, ownSelection.Mask);
            against = maskSpec;
        }
        else if (method != CliMethod.Dense && input.TryGetOptional(ReferenceMaskName) is HostTensor<bool> reference && reference.Shape.SequenceEqual(outcome.Mask.Shape))
        {
            MaskAgreementTable.Write(output, $"this run's selection against the input's '{ReferenceMaskName}'", outcome.Mask, reference);
            against = $"{inputPath}:{ReferenceMaskName}";
        }
        if (compareDense || against is not null)
            output.WriteLine($"to see the masks: rsa inspect {outputPath}{(against is null ? "" : " --against " + against)} --output DIR");

        var metadata = new Dictionary<string, string>
        {
            ["method"] = method.Name(),
            ["block_size"] = selection.BlockSize.ToString(CultureInfo.InvariantCulture),
            ["tau"] = selection.Tau.ToString(CultureInfo.InvariantCulture),
            ["density"] = outcome.Density.ToString("R", CultureInfo.InvariantCulture),
            ["accelerator"] = where,
            ["source"] = Path.GetFileName(inputPath),
        };
        var tensors = new List<KeyValuePair<string, HostTensor>> { new("out", result.ToSingle()), new("mask", outcome.Mask) };
        // The estimated block masses the selection used, for `rsa inspect`'s heatmaps.
        if (outcome.BlockMass is { } blockMass && blockMass.Shape.SequenceEqual(outcome.Mask.Shape)) tensors.Add(new(BlockMassName, blockMass));
        if (dense is not null)
        {
            // Per-head errors against dense attention, for `rsa inspect`'s error bars.
            HeadMetrics errors = HeadMetrics.Compare(result, dense.Output);
            tensors.Add(new(HeadErrorName, new HostTensor<double>(errors.RelativeL2, outcome.Mask.Shape[0], outcome.Mask.Shape[1])));
        }
        SafeTensorsFile.Write(outputPath, tensors, metadata);
        progress.WriteLine($"wrote {outputPath}");
        return CommandLine.Success;
    }

    /// <summary>The name under which the reference pipeline stores its critical-block mask.</summary>
    public const string ReferenceMaskName = "mask";

    /// <summary>The output tensor holding the estimated block masses (sparse methods).</summary>
    public const string BlockMassName = "block_mass";

    /// <summary>The output tensor holding each head's relative L2 error against dense attention (with --compare-dense).</summary>
    public const string HeadErrorName = "rel_l2_vs_dense";
}
