using System.Globalization;
using RectifiedSpaAttn.Cli.Arguments;
using RectifiedSpaAttn.Cli.Files;
using RectifiedSpaAttn.Cli.Output;
using RectifiedSpaAttn.Tensors;

namespace RectifiedSpaAttn.Cli.Commands;

/// <summary>
/// <c>rsa inspect FILE --output DIR</c>: pictures of a block mask, one PNG per head, with block masses and per-head
/// errors when the file holds them (as <c>rsa run</c> writes them), on one HTML page.
/// </summary>
internal sealed class InspectCommand : ICommand
{
    public string Name => "inspect";

    public string Summary => "draw a file's block mask (and masses, errors) as PNGs per head on an HTML page";

    public IReadOnlySet<string> Switches { get; } = new HashSet<string>();

    public int Positionals => 1;

    public string Help =>
        $"""
        usage: rsa inspect FILE --output DIR [options]

        Reads a critical-block mask (BOOL [B, H, nQ, nK]; by default the tensor 'mask', as `rsa run` and the reference
        pipeline write it) and writes DIR/index.html with one picture per head, DIR/mask-head-<h>.png (head h = b * H + h;
        key blocks across, query blocks down; dark = critical). When FILE also holds '{RunCommand.BlockMassName}' (the estimated
        block masses) they are drawn as heatmaps, DIR/mass-head-<h>.png, and '{RunCommand.HeadErrorName}' (written by
        `rsa run --compare-dense`) as per-head error bars.

          --output DIR             folder for index.html and the PNGs (created if missing)
          --tensor NAME            the mask's name in FILE (default mask)
          --against FILE:TENSOR    a second mask of the same shape: blocks critical in only one of the two are coloured
        """;

    public int Run(ParsedArguments args, TextWriter output, TextWriter progress, Progress.ProgressDisplay display)
    {
        if (args.Positionals.Count == 0) throw new UsageException("give the file to inspect: rsa inspect FILE --output DIR");
        string source = args.Positionals[0];
        string folder = args.GetRequiredString("output");
        string tensorName = args.GetString("tensor") ?? RunCommand.ReferenceMaskName;
        string? againstSpec = args.GetString("against");
        args.ThrowOnUnknown(Name);

        if (File.Exists(folder)) throw new UsageException($"--output '{folder}' is a file; give a folder for index.html and the PNGs");
        InputFile input = InputFile.Load(source, tensorName);
        HostTensor<bool> mask = input.Get(tensorName) as HostTensor<bool> ?? throw new ArgumentException(
            $"'{source}' tensor '{tensorName}' is {input.Get(tensorName)}; a block mask is BOOL [B, H, nQ, nK]");
        if (mask.Rank != 4) throw new ArgumentException($"'{source}' tensor '{tensorName}' has shape {mask.ShapeText}; a block mask is [B, H, nQ, nK]");
        HostTensor<bool>? against = againstSpec is null ? null : InputFile.LoadMask(againstSpec, "--against");
        if (against is not null && !against.Shape.SequenceEqual(mask.Shape))
            throw new ArgumentException($"--against '{againstSpec}' has shape {against.ShapeText}, but '{tensorName}' has {mask.ShapeText}");
        HostTensor<float>? masses = input.TryGetOptional(RunCommand.BlockMassName) is { } m && m.Shape.SequenceEqual(mask.Shape) ? m.ToSingle() : null;
        HostTensor<double>? errors = input.TryGetOptional(RunCommand.HeadErrorName) is { } e && e.Length == mask.Shape[0] * mask.Shape[1] ? e.ToDouble() : null;

        Directory.CreateDirectory(folder);
        OutputTarget.CheckFolder(Path.GetFullPath(folder), "--output");
        double[] density = MaskStatistics.PerHeadDensity(mask);
        int[]? differing = against is null ? null : MaskStatistics.PerHeadDifferences(mask, against);
        var heads = new List<InspectedHead>();
        for (int b = 0, i = 0; b < mask.Shape[0]; b++)
            for (int h = 0; h < mask.Shape[1]; h++, i++)
            {
                string maskImage = $"mask-head-{i}.png";
                MaskImages.WriteMask(Path.Combine(folder, maskImage), mask, i, against);
                string? massImage = null;
                if (masses is not null)
                {
                    massImage = $"mass-head-{i}.png";
                    MaskImages.WriteMasses(Path.Combine(folder, massImage), masses, i);
                }
                heads.Add(new InspectedHead(i, b, h, maskImage, density[i], massImage, differing?[i], errors?.Span[i]));
            }
        string page = Path.Combine(folder, "index.html");
        File.WriteAllText(page, InspectPage.Render(source, tensorName, mask.ShapeText, againstSpec, heads));

        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"wrote {page} with {heads.Count} mask picture{(heads.Count == 1 ? "" : "s")}{(masses is null ? "" : " and block-mass heatmaps")}{(errors is null ? "" : " and per-head errors")}"));
        if (differing is not null)
            output.WriteLine($"{differing.Sum()} of {mask.Length} blocks differ from {againstSpec} (per head: {string.Join(", ", differing)})");
        return CommandLine.Success;
    }
}
