using RectifiedSpaAttn.Cli.Output;
using RectifiedSpaAttn.IO;
using RectifiedSpaAttn.Tensors;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace RectifiedSpaAttn.Tests.Cli;

/// <summary>
/// Issue 13's "pictures" findings: <c>rsa inspect</c> draws every head's block mask (pixels checked against the mask
/// by decoding the PNGs), marks where a second mask differs, and draws masses and errors when the file holds them.
/// </summary>
public class CliInspectTests
{
    [Fact]
    public void EveryHeadsMaskIsAPngWhosePixelsAreTheMask()
    {
        using var dir = new TempDirectory();
        HostTensor<bool> mask = RandomMask(new Random(), 2, 3, 5, 7);
        string file = dir.File("m.safetensors");
        SafeTensorsFile.Write(file, [new("mask", mask)]);
        string pictures = dir.File("pictures/nested");

        var r = CliRunner.Run("inspect", file, "--output", pictures);

        Assert.True(r.ExitCode == 0, r.Error);
        string html = File.ReadAllText(Path.Combine(pictures, "index.html"));
        for (int head = 0; head < 6; head++)
        {
            string name = $"mask-head-{head}.png";
            Assert.Contains($"src=\"{name}\"", html);
            AssertPixels(Path.Combine(pictures, name), mask, head, (critical, _) => critical ? MaskImages.Critical : MaskImages.Skipped);
        }
        Assert.Equal(6, Directory.GetFiles(pictures, "*.png").Length);
    }

    [Fact]
    public void AgainstMarksTheBlocksCriticalInOnlyOneMask()
    {
        using var dir = new TempDirectory();
        var random = new Random();
        HostTensor<bool> mask = RandomMask(random, 1, 2, 4, 4), other = RandomMask(random, 1, 2, 4, 4);
        string file = dir.File("m.safetensors");
        SafeTensorsFile.Write(file, [new("mask", mask), new("chosen", other)]);
        int differing = 0;
        for (int i = 0; i < mask.Length; i++) if (mask.Span[i] != other.Span[i]) differing++;

        var r = CliRunner.Run("inspect", file, "--output", dir.File("out"), "--against", file + ":chosen");

        Assert.True(r.ExitCode == 0, r.Error);
        Assert.Contains($"{differing} of 32 blocks differ", r.Output);
        string html = File.ReadAllText(dir.File("out/index.html"));
        Assert.Contains("background:#ff7f0e\"></span> critical here only", html); // the legend shows the pictures' colours
        Assert.Contains("background:#d62728\"></span> critical in <code>", html);
        for (int head = 0; head < 2; head++)
            AssertPixels(dir.File($"out/mask-head-{head}.png"), mask, head, (here, e) => (here, other.Span[head * 16 + e]) switch
            {
                (true, true) => MaskImages.Critical,
                (false, false) => MaskImages.Skipped,
                (true, false) => MaskImages.OnlyHere,
                _ => MaskImages.OnlyThere,
            });
    }

    [Fact]
    public void ARunWithCompareDenseGivesMassHeatmapsAndErrorBars()
    {
        using var dir = new TempDirectory();
        string input = CliCases.WriteRandomInput(dir, 1, 2, 128, 8);
        string output = dir.File("out.safetensors");
        var run = CliRunner.Run("run", "--input", input, "--output", output, "--block-size", "32", "--top-k", "1", "--compare-dense", "--accelerator", "reference");
        Assert.True(run.ExitCode == 0, run.Error);
        Assert.Contains($"rsa inspect {output} --output DIR", run.Output);

        var r = CliRunner.Run("inspect", output, "--output", dir.File("pictures"));

        Assert.True(r.ExitCode == 0, r.Error);
        string html = File.ReadAllText(dir.File("pictures/index.html"));
        var written = SafeTensorsFile.Read(output);
        HostTensor<float> masses = written.Get<float>("block_mass");
        double[] errors = written.Get<double>("rel_l2_vs_dense").Span.ToArray();
        for (int head = 0; head < 2; head++)
        {
            Assert.Contains($"src=\"mass-head-{head}.png\"", html);
            float max = masses.Span.Slice(head * 16, 16).ToArray().Max();
            AssertPixels(dir.File($"pictures/mass-head-{head}.png"), written.Get<bool>("mask"), head,
                (_, e) => MaskImages.Heat(Math.Sqrt(Math.Max(masses.Span[head * 16 + e], 0) / max)));
            Assert.Contains($"<td>{errors[head].ToString("0.000000", System.Globalization.CultureInfo.InvariantCulture)}</td>", html);
        }
        Assert.Contains("Error against dense attention per head", html);
    }

    [Fact]
    public void RunPrintsPerHeadAgreementWithTheInputsReferenceMask()
    {
        using var dir = new TempDirectory();
        var (q, k, v) = CliCases.RandomQkv(1, 2, 128, 8);
        var reference = new HostTensor<bool>(1, 2, 4, 4); // all false: every critical block of the run differs
        string input = CliCases.Write(dir, "in.safetensors", q, k, v, ("mask", reference));
        string output = dir.File("out.safetensors");

        var r = CliRunner.Run("run", "--input", input, "--output", output, "--block-size", "32", "--top-k", "2", "--accelerator", "reference");

        Assert.True(r.ExitCode == 0, r.Error);
        bool[] selected = SafeTensorsFile.Read(output).Get<bool>("mask").Span.ToArray();
        Assert.Contains("mask agreement: this run's selection against the input's 'mask'", r.Output);
        for (int head = 0; head < 2; head++)
            Assert.Matches($@"\n +{head} +{selected.Skip(head * 16).Take(16).Count(c => c)} of 16 ", r.Output);
        Assert.Contains($"rsa inspect {output} --against {input}:mask --output DIR", r.Output);
    }

    [Fact]
    public void RunWithAGivenMaskPrintsHowFarItIsFromTheMethodsOwnSelection()
    {
        using var dir = new TempDirectory();
        var (q, k, v) = CliCases.RandomQkv(1, 1, 128, 8);
        var given = new HostTensor<bool>(1, 1, 4, 4);
        given.Span.Fill(true);
        string input = CliCases.Write(dir, "in.safetensors", q, k, v, ("chosen", given));

        var r = CliRunner.Run("run", "--input", input, "--output", dir.File("o.safetensors"), "--mask", input + ":chosen", "--block-size", "32", "--top-k", "1", "--tau", "0", "--accelerator", "reference");

        Assert.True(r.ExitCode == 0, r.Error);
        Assert.Contains("mask agreement: the given --mask against the method's own selection", r.Output);
        var own = RectifiedSpaAttn.Reference.ExactReference.Rectified(q, k, v, new RectifiedSpaAttnOptions { QueryBlockSize = 32, KeyBlockSize = 32, MinCriticalBlocks = 1, Tau = 0 }).Mask;
        int notSelected = own.Span.ToArray().Count(c => !c); // each differs from the all-true given mask
        Assert.InRange(notSelected, 1, 15);
        Assert.Matches($@"\n +0 +{notSelected} of 16 ", r.Output);
    }

    [Theory]
    [InlineData(new string[] { "inspect", "--output", "x" }, "give the file to inspect")]
    [InlineData(new string[] { "inspect", "FILE" }, "missing required option --output")]
    [InlineData(new string[] { "inspect", "a", "b", "--output", "x" }, "unexpected argument 'b'")]
    [InlineData(new string[] { "run", "in.safetensors", "--output", "x" }, "unexpected argument 'in.safetensors'")]
    public void InspectUsageErrors(string[] args, string expected)
    {
        var r = CliRunner.Run(args);
        Assert.Equal(2, r.ExitCode);
        Assert.Contains(expected, r.Error);
    }

    [Fact]
    public void InspectIsListedAndHasHelp()
    {
        Assert.Contains("inspect", CliRunner.Run("--help").Output);
        var r = CliRunner.Run("inspect", "--help");
        Assert.Equal(0, r.ExitCode);
        Assert.Contains("usage: rsa inspect FILE --output DIR", r.Output);
        Assert.Contains("mask-head-<h>.png", r.Output);
    }

    [Fact]
    public void ATensorThatIsNotABoolMaskIsAClearError()
    {
        using var dir = new TempDirectory();
        string input = CliCases.WriteRandomInput(dir, 1, 1, 64, 8);
        var r = CliRunner.Run("inspect", input, "--tensor", "q", "--output", dir.File("p"));
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("a block mask is BOOL [B, H, nQ, nK]", r.Error);
    }

    private static HostTensor<bool> RandomMask(Random random, params int[] shape)
    {
        var mask = new HostTensor<bool>(shape);
        foreach (ref bool m in mask.Span) m = random.Next(2) == 1;
        return mask;
    }

    /// <summary>Decodes the PNG and requires every pixel to be the colour <paramref name="expected"/> gives its block.</summary>
    private static void AssertPixels(string png, HostTensor<bool> mask, int head, Func<bool, int, Rgb24> expected)
    {
        int nQ = mask.Shape[2], nK = mask.Shape[3], scale = MaskImages.Scale(nQ, nK);
        using Image<Rgb24> image = Image.Load<Rgb24>(png);
        Assert.Equal(nK * scale, image.Width); // key blocks across
        Assert.Equal(nQ * scale, image.Height); // query blocks down
        for (int y = 0; y < image.Height; y++)
            for (int x = 0; x < image.Width; x++)
            {
                int e = (y / scale) * nK + x / scale;
                Assert.True(expected(mask.Span[head * nQ * nK + e], e) == image[x, y], $"{png}: pixel ({x}, {y}) of block ({y / scale}, {x / scale})");
            }
    }
}
