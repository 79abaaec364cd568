namespace RectifiedSpaAttn.Tests.Cli;

public class CliUsageTests
{
    [Fact]
    public void NoArgumentsPrintsUsageAndFails()
    {
        var r = CliRunner.Run();
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("usage: rsa COMMAND", r.Error);
    }

    [Fact]
    public void UnknownCommandIsOneLine()
    {
        var r = CliRunner.Run("frobnicate");
        Assert.Equal(2, r.ExitCode);
        Assert.Single(r.Error.Trim().Split('\n'));
        Assert.Contains("unknown command 'frobnicate'", r.Error);
    }

    [Theory]
    [InlineData("run", "--input FILE")]
    [InlineData("demo", "--grid T,H,W")]
    public void EveryCommandHasHelp(string command, string expected)
    {
        var r = CliRunner.Run(command, "--help");
        Assert.Equal(0, r.ExitCode);
        Assert.Contains(expected, r.Output);
    }

    [Fact]
    public void MissingRequiredOptionIsAUsageError()
    {
        var r = CliRunner.Run("run", "--output", "x.safetensors");
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("missing required option --input", r.Error);
    }

    [Fact]
    public void UnknownOptionIsReported()
    {
        using var dir = new TempDirectory();
        string input = CliCases.WriteRandomInput(dir, 1, 1, 64, 8);
        var r = CliRunner.Run("run", "--input", input, "--output", dir.File("o.safetensors"), "--tua", "0.3");
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("unknown option --tua", r.Error);
    }

    [Fact]
    public void DropRateAndTopKTogetherAreRejected()
    {
        var r = CliRunner.Run("demo", "--drop-rate", "0.5", "--top-k", "3");
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("either --drop-rate or --top-k", r.Error);
    }

    [Fact]
    public void MissingInputFileIsOneLineWithoutStackTrace()
    {
        using var dir = new TempDirectory();
        string missing = dir.File("nope.safetensors");
        var r = CliRunner.Run("run", "--input", missing, "--output", dir.File("o.safetensors"));
        Assert.Equal(1, r.ExitCode);
        Assert.Contains(missing, r.Error);
        Assert.DoesNotContain("   at ", r.Error);
    }

    [Fact]
    public void MalformedInputFileIsOneLineWithoutStackTrace()
    {
        using var dir = new TempDirectory();
        string bad = dir.File("bad.safetensors");
        File.WriteAllBytes(bad, [0xFF, 0xFF, 0xFF, 0xFF, 0, 0, 0, 0, (byte)'{']);
        var r = CliRunner.Run("run", "--input", bad, "--output", dir.File("o.safetensors"));
        Assert.Equal(1, r.ExitCode);
        Assert.DoesNotContain("   at ", r.Error);
        Assert.False(File.Exists(dir.File("o.safetensors")));
    }
}
