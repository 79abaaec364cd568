using RectifiedSpaAttn.IO;
using RectifiedSpaAttn.Metrics;
using RectifiedSpaAttn.Reference;
using RectifiedSpaAttn.Tensors;
using RectifiedSpaAttn.Tests.IO;

namespace RectifiedSpaAttn.Tests.Cli;

/// <summary>
/// Issue 13's input findings, re-tried as written: metadata values pass the flags' checks and errors name the field;
/// unused tensors of any dtype are ignored; NaN errors name the tensor and index on every route.
/// </summary>
public class CliInputValidationTests
{
    private static readonly string[] InternalNames = ["QueryBlockSize", "KeyBlockSize", "MinCriticalBlocks", "FirstFrameBlocks", "Tau", "DropRate", "TextTokens"];

    [Theory]
    [InlineData("block_size", "99999999999", "expects an integer from 1 to 2147483647")]
    [InlineData("block_size", "abc", "expects an integer, got 'abc'")]
    [InlineData("block_size", "0", "must be at least 1")]
    [InlineData("block_size", "-5", "must be at least 1")]
    [InlineData("top_k", "-1", "must be at least 0")]
    [InlineData("top_k", "1e3", "expects an integer")]
    [InlineData("p", "nan", "expects a number")]
    [InlineData("p", "-0.5", "must not be negative")]
    [InlineData("ff", "99", "exceeds the 4 key blocks")]
    public void BadMetadataValuesAreReportedByFieldName(string key, string value, string expected)
    {
        using var dir = new TempDirectory();
        string input = WithMetadata(dir, new() { [key] = value, ["block_size"] = key == "block_size" ? value : "64" });

        var r = CliRunner.Run("run", "--input", input, "--output", dir.File("o.safetensors"), "--accelerator", "reference");

        Assert.Equal(1, r.ExitCode);
        Assert.Contains($"__metadata__.{key}", r.Error);
        Assert.Contains(expected, r.Error);
        Assert.Contains("to override it", r.Error);
        foreach (string name in InternalNames) Assert.DoesNotContain(name, r.Error);
        Assert.DoesNotContain("   at ", r.Error);
        Assert.False(File.Exists(dir.File("o.safetensors")));
    }

    [Fact]
    public void AFlagOverridesAnUnparsableMetadataValue()
    {
        using var dir = new TempDirectory();
        string input = WithMetadata(dir, new() { ["block_size"] = "99999999999", ["top_k"] = "2" });

        var r = CliRunner.Run("run", "--input", input, "--output", dir.File("o.safetensors"), "--block-size", "64", "--accelerator", "reference");

        Assert.True(r.ExitCode == 0, r.Error);
        Assert.Contains("__metadata__.top_k", r.Error); // the value it did use from the metadata is named
        Assert.Equal([1, 1, 4, 4], SafeTensorsFile.Read(dir.File("o.safetensors")).Get<bool>("mask").Shape.ToArray());
    }

    [Theory]
    [InlineData("--block-size", "99999999999", "expects an integer from 1 to 2147483647")]
    [InlineData("--first-frame-blocks", "9", "exceeds the 4 key blocks")]
    [InlineData("--text-tokens", "999", "exceeds the input's 256 tokens")]
    public void FlagsThatDoNotFitTheInputNameTheFlag(string flag, string value, string expected)
    {
        using var dir = new TempDirectory();
        string input = CliCases.WriteRandomInput(dir, 1, 1, 256, 8);
        string[] block = flag == "--block-size" ? [] : ["--block-size", "64"];

        var r = CliRunner.Run(["run", "--input", input, "--output", dir.File("o.safetensors"), flag, value, .. block]);

        Assert.Equal(2, r.ExitCode);
        Assert.Contains(flag, r.Error);
        Assert.Contains(expected, r.Error);
        foreach (string name in InternalNames) Assert.DoesNotContain(name, r.Error);
    }

    [Theory]
    [InlineData(".safetensors")]
    [InlineData(".npz")]
    public void UnusedTensorsOfDtypesWeDoNotReadAreIgnored(string extension)
    {
        using var dir = new TempDirectory();
        var (q, k, v) = CliCases.RandomQkv(1, 1, 64, 8);
        string input = dir.File("in" + extension);
        if (extension == ".npz") UnreadDtypeFiles.WriteNpz(input, q, k, v);
        else UnreadDtypeFiles.WriteSafeTensors(input, q, k, v);
        string output = dir.File("o.safetensors");

        var r = CliRunner.Run("run", "--input", input, "--output", output, "--block-size", "32", "--top-k", "1", "--accelerator", "reference");

        Assert.True(r.ExitCode == 0, r.Error);
        var expected = ExactReference.Rectified(q, k, v, new RectifiedSpaAttnOptions { QueryBlockSize = 32, KeyBlockSize = 32, MinCriticalBlocks = 1 });
        Assert.True(ErrorMetrics.RelativeL2(SafeTensorsFile.Read(output).Get<float>("out").ToDouble().Span, expected.Output.Span) < 1e-6);
    }

    [Fact]
    public void AUsedTensorOfADtypeWeDoNotReadIsStillAClearError()
    {
        using var dir = new TempDirectory();
        var (q, k, v) = CliCases.RandomQkv(1, 1, 64, 8);
        string input = dir.File("in.safetensors");
        UnreadDtypeFiles.WriteSafeTensors(input, q, k, v);

        var r = CliRunner.Run("run", "--input", input, "--output", dir.File("o.safetensors"), "--q", "codes", "--block-size", "32");

        Assert.Equal(1, r.ExitCode);
        Assert.Contains("unsupported dtype 'U8'", r.Error);
    }

    [Theory]
    [InlineData("reference", "q")]
    [InlineData("reference", "k")]
    [InlineData("cpu", "q")]
    [InlineData("cpu", "k")]
    [InlineData("cpu", "v")]
    public void NonFiniteInputsAreNamedWithTheirIndexOnEveryRoute(string accelerator, string tensor)
    {
        // Every device route (CPU, OpenCL, CUDA) uploads through DeviceTensor.Upload, which names the tensor; the CPU
        // route stands for them here because it runs on every machine.
        using var dir = new TempDirectory();
        var (q, k, v) = CliCases.RandomQkv(1, 2, 64, 8);
        HostTensor<float> poisoned = tensor switch { "q" => q, "k" => k, _ => v };
        poisoned[0, 1, 5, 3] = tensor == "v" ? float.PositiveInfinity : float.NaN;
        string input = CliCases.Write(dir, "in.safetensors", q, k, v);

        var r = CliRunner.Run("run", "--input", input, "--output", dir.File("o.safetensors"), "--block-size", "32", "--accelerator", accelerator);

        Assert.Equal(1, r.ExitCode);
        Assert.Contains($"{tensor} contains ", r.Error);
        Assert.Contains(" at [0, 1, 5, 3]", r.Error);
        Assert.DoesNotContain("source", r.Error);
    }

    private static string WithMetadata(TempDirectory dir, Dictionary<string, string> metadata)
    {
        var (q, k, v) = CliCases.RandomQkv(1, 1, 256, 8);
        string path = dir.File("in.safetensors");
        SafeTensorsFile.Write(path, [new("q", q), new("k", k), new("v", v)], metadata);
        return path;
    }
}
