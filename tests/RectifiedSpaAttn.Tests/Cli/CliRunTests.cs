using RectifiedSpaAttn.IO;
using RectifiedSpaAttn.Metrics;
using RectifiedSpaAttn.Reference;
using RectifiedSpaAttn.Tensors;
using RectifiedSpaAttn.Tests.TestSupport;
using RectifiedSpaAttn.Video;

namespace RectifiedSpaAttn.Tests.Cli;

public class CliRunTests(ITestOutputHelper log)
{
    private static RectifiedSpaAttnOptions Options(int block, int topK, double tau = 0.3) =>
        new() { QueryBlockSize = block, KeyBlockSize = block, MinCriticalBlocks = topK, Tau = tau };

    [Fact]
    public void RunWritesTheReferenceOutputAndMask()
    {
        using var dir = new TempDirectory();
        var (q, k, v) = CliCases.RandomQkv(1, 2, 200, 16);
        string input = CliCases.Write(dir, "in.safetensors", q, k, v);
        string output = dir.File("out.safetensors");

        var r = CliRunner.Run("run", "--input", input, "--output", output, "--block-size", "64", "--top-k", "2", "--compare-dense", "--accelerator", "reference");

        Assert.True(r.ExitCode == 0, r.Error);
        Assert.Contains("against dense attention", r.Output);
        var file = SafeTensorsFile.Read(output);
        var outTensor = file.Get<float>("out");
        var mask = file.Get<bool>("mask");
        Assert.Equal([1, 2, 200, 16], outTensor.Shape.ToArray());
        Assert.Equal([1, 2, 4, 4], mask.Shape.ToArray());
        ReferenceResult expected = ExactReference.Rectified(q, k, v, Options(64, 2));
        Assert.Equal(expected.Mask.Span.ToArray(), mask.Span.ToArray());
        Assert.True(ErrorMetrics.RelativeL2(outTensor.ToDouble().Span, expected.Output.Span) < 1e-6);
    }

    [Theory]
    [InlineData("dense")]
    [InlineData("sparse")]
    public void MethodsMatchTheReference(string method)
    {
        using var dir = new TempDirectory();
        var (q, k, v) = CliCases.RandomQkv(2, 1, 130, 8);
        string input = CliCases.Write(dir, "in.npz", q, k, v);
        string output = dir.File("out.safetensors");

        var r = CliRunner.Run("run", "--input", input, "--output", output, "--method", method, "--block-size", "32", "--drop-rate", "0.5", "--accelerator", "reference");

        Assert.True(r.ExitCode == 0, r.Error);
        var actual = SafeTensorsFile.Read(output).Get<float>("out").ToDouble();
        HostTensor<double> expected = method == "dense"
            ? ExactReference.DenseAttention(q, k, v)
            : ExactReference.BlockSparse(q, k, v, new RectifiedSpaAttnOptions { QueryBlockSize = 32, KeyBlockSize = 32, DropRate = 0.5 }).Output;
        Assert.True(ErrorMetrics.RelativeL2(actual.Span, expected.Span) < 1e-6);
    }

    [Fact]
    public void SuppliedMaskIsUsedUnchanged()
    {
        using var dir = new TempDirectory();
        var random = new Random();
        var (q, k, v) = CliCases.RandomQkv(1, 2, 96, 8);
        var mask = new HostTensor<bool>(1, 2, 3, 3);
        foreach (ref bool m in mask.Span) m = random.Next(2) == 1;
        string input = CliCases.Write(dir, "in.safetensors", q, k, v, ("chosen", mask));
        string output = dir.File("out.safetensors");

        // The CPU, not "best": on a GPU machine best is CUDA, whose kernels are built for head dims 64 and 128 only.
        var r = CliRunner.Run("run", "--input", input, "--output", output, "--block-size", "32", "--mask", input + ":chosen", "--accelerator", "cpu");

        Assert.True(r.ExitCode == 0, r.Error);
        Assert.Equal(mask.Span.ToArray(), SafeTensorsFile.Read(output).Get<bool>("mask").Span.ToArray());
    }

    [Fact]
    public void VideoGridReordersAndRestoresTokenOrder()
    {
        using var dir = new TempDirectory();
        var grid = new VideoGrid(2, 6, 8);
        var (q, k, v) = CliCases.RandomQkv(1, 1, grid.TokenCount, 8);
        string input = CliCases.Write(dir, "in.safetensors", q, k, v);
        string output = dir.File("out.safetensors");

        var r = CliRunner.Run("run", "--input", input, "--output", output, "--block-size", "16", "--top-k", "1", "--video-grid", "2,6,8", "--accelerator", "reference");

        Assert.True(r.ExitCode == 0, r.Error);
        var layout = new VideoLayout(grid, AxisOrder.Parse("wht"));
        var expected = layout.Unpermute(ExactReference.Rectified(layout.Permute(q), layout.Permute(k), layout.Permute(v), Options(16, 1)).Output);
        var actual = SafeTensorsFile.Read(output).Get<float>("out").ToDouble();
        Assert.True(ErrorMetrics.RelativeL2(actual.Span, expected.Span) < 1e-6);
    }

    [Fact]
    public void VideoGridMustMatchTheTokenCount()
    {
        using var dir = new TempDirectory();
        string input = CliCases.WriteRandomInput(dir, 1, 1, 100, 8);
        var r = CliRunner.Run("run", "--input", input, "--output", dir.File("o.safetensors"), "--video-grid", "2,6,8");
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("96 tokens", r.Error);
    }

    [Fact]
    public void MissingTensorNameListsWhatTheFileHas()
    {
        using var dir = new TempDirectory();
        string input = CliCases.WriteRandomInput(dir, 1, 1, 64, 8);
        var r = CliRunner.Run("run", "--input", input, "--output", dir.File("o.safetensors"), "--q", "query");
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("no tensor named 'query'", r.Error);
        Assert.Contains("q, k, v", r.Error);
    }

    [Fact]
    public void FidelityCaseWithItsMaskMatchesTheAuthorsOutput()
    {
        string fidelity = TestData.Path("fidelity", "wan_d64_ff0.safetensors");
        using var dir = new TempDirectory();
        string output = dir.File("out.safetensors");

        var r = CliRunner.Run("run", "--input", fidelity, "--mask", fidelity + ":mask", "--output", output);

        Assert.True(r.ExitCode == 0, r.Error);
        Assert.Contains("from the input file's metadata", r.Error);
        var actual = SafeTensorsFile.Read(output).Get<float>("out").ToDouble();
        var expected = SafeTensorsFile.Read(fidelity)["out_rectified"].ToDouble();
        Assert.True(ErrorMetrics.RelativeL2(actual.Span, expected.Span) < 0.01);
    }

    [Fact]
    public void DemoPrintsPerHeadAndOverallMetrics()
    {
        // The CPU, not "best": on a GPU machine best is CUDA, whose kernels are built for head dims 64 and 128 only.
        var r = CliRunner.Run("demo", "--grid", "2,8,8", "--heads", "2", "--head-dim", "16", "--block-size", "16", "--accelerator", "cpu");
        Assert.True(r.ExitCode == 0, r.Error);
        Assert.Contains("  all ", r.Output);
        Assert.Contains("rectified", r.Output);
    }

    [Theory]
    [InlineData("cpu", "rectified")]
    [InlineData("cpu", "sparse")]
    [InlineData("cpu", "dense")]
    [InlineData("opencl", "rectified")]
    public void AcceleratorsMatchTheReferenceWithTheSameMask(string accelerator, string method)
    {
        if (accelerator == "opencl" && Accelerators.OpenCLTestDevice.RequireOrSkipOutsideCI(log) is null) return;
        using var dir = new TempDirectory();
        var random = new Random();
        var (q, k, v) = CliCases.RandomQkv(1, 2, 150, 64);
        var mask = new HostTensor<bool>(1, 2, 3, 3);
        foreach (ref bool m in mask.Span) m = random.Next(2) == 1;
        string input = CliCases.Write(dir, "in.safetensors", q, k, v, ("chosen", mask));
        string output = dir.File("out.safetensors");

        var r = CliRunner.Run("run", "--input", input, "--output", output, "--method", method, "--block-size", "64", "--mask", input + ":chosen", "--accelerator", accelerator);

        Assert.True(r.ExitCode == 0, r.Error);
        Assert.Contains(accelerator == "cpu" ? "Cpu" : "OpenCL", r.Output);
        var options = new RectifiedSpaAttnOptions { QueryBlockSize = 64, KeyBlockSize = 64, CriticalMask = mask };
        HostTensor<double> expected = method switch
        {
            "dense" => ExactReference.DenseAttention(q, k, v),
            "sparse" => ExactReference.BlockSparse(q, k, v, options).Output,
            _ => ExactReference.Rectified(q, k, v, options).Output,
        };
        double relL2 = ErrorMetrics.RelativeL2(SafeTensorsFile.Read(output).Get<float>("out").ToDouble().Span, expected.Span);
        Assert.True(relL2 < 1e-5, $"rel L2 {relL2:E3}");
    }

    [Fact]
    public void VideoGridIsReorderedOnTheDevice()
    {
        // The reference reorders on the host and is given the mask the device chose (near-ties may differ): a wrong
        // reorder on the device, or a missing inverse, shows as a mismatch in the output.
        using var dir = new TempDirectory();
        var grid = new VideoGrid(2, 6, 8);
        var (q, k, v) = CliCases.RandomQkv(1, 1, grid.TokenCount, 16);
        string input = CliCases.Write(dir, "in.safetensors", q, k, v);
        string output = dir.File("out.safetensors");

        var r = CliRunner.Run("run", "--input", input, "--output", output, "--block-size", "16", "--top-k", "1", "--tau", "0.5", "--video-grid", "2,6,8", "--neighbors", "--accelerator", "cpu");

        Assert.True(r.ExitCode == 0, r.Error);
        var layout = new VideoLayout(grid, AxisOrder.Parse("wht"));
        var written = SafeTensorsFile.Read(output);
        var options = new RectifiedSpaAttnOptions { QueryBlockSize = 16, KeyBlockSize = 16, VideoLayout = layout, CriticalMask = written.Get<bool>("mask") };
        var expected = ExactReference.Rectified(q, k, v, options);
        double relL2 = ErrorMetrics.RelativeL2(written.Get<float>("out").ToDouble().Span, expected.Output.Span);
        Assert.True(relL2 < 1e-5, $"rel L2 {relL2:E3}");
    }

    [Theory]
    [InlineData("gpu", "--accelerator must be")]
    [InlineData("cpu --device 7", "--device 7")]
    [InlineData("best --device 7", "--device 7")]
    [InlineData("reference --device 0", "does not apply")]
    public void BadAcceleratorChoicesAreUsageErrors(string choice, string expected)
    {
        using var dir = new TempDirectory();
        string input = CliCases.WriteRandomInput(dir, 1, 1, 64, 8);
        string[] words = choice.Split(' ');
        var r = CliRunner.Run(["run", "--input", input, "--output", dir.File("o.safetensors"), "--accelerator", .. words]);
        Assert.NotEqual(0, r.ExitCode);
        Assert.Contains(expected, r.Error);
    }
}
