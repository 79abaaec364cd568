using System.Runtime.InteropServices;
using RectifiedSpaAttn.IO;
using RectifiedSpaAttn.Tensors;

namespace RectifiedSpaAttn.Tests.Cli;

/// <summary>
/// Issue 13's "files are never lost" findings, re-tried as written: an output that is the input (by path, link or
/// inode), a bad output folder, and how these are reported before any work.
/// </summary>
public partial class CliFileSafetyTests
{
    [Theory]
    [InlineData("same path")]
    [InlineData("relative path")]
    [InlineData("symbolic link")]
    [InlineData("hard link")]
    [InlineData("linked folder")]
    public void OutputThatIsTheInputIsRefusedBeforeAnyWork(string how)
    {
        using var dir = new TempDirectory();
        string input = CliCases.WriteRandomInput(dir, 1, 1, 64, 8);
        byte[] before = File.ReadAllBytes(input);
        string output = how switch
        {
            "same path" => input,
            "relative path" => Path.GetRelativePath(Environment.CurrentDirectory, input),
            "symbolic link" => File.CreateSymbolicLink(dir.File("link.safetensors"), input).FullName,
            "hard link" => HardLink(input, dir.File("hard.safetensors")),
            _ => Path.Combine(Directory.CreateSymbolicLink(dir.File("linked"), dir.Path).FullName, "in.safetensors"),
        };

        var r = CliRunner.Run("run", "--input", input, "--output", output, "--block-size", "32", "--accelerator", "reference");

        Assert.Equal(2, r.ExitCode);
        Assert.Contains("is the input file", r.Error);
        Assert.DoesNotContain("loading", r.Error); // refused before reading, let alone computing
        Assert.Equal(before, File.ReadAllBytes(input));
    }

    [Fact]
    public void OutputThatIsTheMaskFileIsRefused()
    {
        using var dir = new TempDirectory();
        string input = CliCases.WriteRandomInput(dir, 1, 1, 64, 8);
        string maskFile = CliCases.Write(dir, "mask.safetensors", new HostTensor<bool>(1, 1, 2, 2), new HostTensor<bool>(1), new HostTensor<bool>(1));
        byte[] before = File.ReadAllBytes(maskFile);

        var r = CliRunner.Run("run", "--input", input, "--output", maskFile, "--mask", maskFile + ":q", "--block-size", "32");

        Assert.Equal(2, r.ExitCode);
        Assert.Contains("is the input file", r.Error);
        Assert.Equal(before, File.ReadAllBytes(maskFile));
    }

    [Theory]
    [InlineData("missing/out.safetensors", "does not exist")]
    [InlineData("folder.safetensors", "is a folder")]
    [InlineData("a-file/out.safetensors", "is a file, not a folder")]
    public void BadOutputFolderIsReportedBeforeTheComputation(string output, string expected)
    {
        using var dir = new TempDirectory();
        string input = CliCases.WriteRandomInput(dir, 1, 1, 64, 8);
        Directory.CreateDirectory(dir.File("folder.safetensors"));
        File.WriteAllText(dir.File("a-file"), "x");

        var r = CliRunner.Run("run", "--input", input, "--output", dir.File(output), "--block-size", "32", "--accelerator", "reference");

        Assert.NotEqual(0, r.ExitCode);
        Assert.Contains(expected, r.Error);
        Assert.DoesNotContain(".tmp", r.Error); // never the hidden temporary file's name
        Assert.DoesNotContain("attention on", r.Error); // reported before the computation started
        Assert.DoesNotContain("   at ", r.Error);
    }

    [Fact]
    public void OutputBesideTheInputIsWrittenAndTheInputKept()
    {
        using var dir = new TempDirectory();
        string input = CliCases.WriteRandomInput(dir, 1, 1, 64, 8);
        byte[] before = File.ReadAllBytes(input);
        var r = CliRunner.Run("run", "--input", input, "--output", dir.File("out.safetensors"), "--block-size", "32", "--accelerator", "reference");
        Assert.True(r.ExitCode == 0, r.Error);
        Assert.Equal(before, File.ReadAllBytes(input));
        Assert.Equal(["out", "mask", "block_mass"], SafeTensorsFile.Read(dir.File("out.safetensors")).Names);
        Assert.Empty(Directory.GetFiles(dir.Path, ".rsa-write-check-*")); // the folder probe leaves nothing behind
    }

    private static string HardLink(string existing, string link)
    {
        Assert.True(OperatingSystem.IsLinux(), "hard links are made with link(2) here; the suite runs on Linux");
        Assert.Equal(0, Link(existing, link));
        return link;
    }

    [LibraryImport("libc", EntryPoint = "link", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Link(string existing, string link);
}
