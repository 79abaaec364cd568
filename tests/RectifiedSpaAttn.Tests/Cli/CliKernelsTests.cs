using RectifiedSpaAttn.Compute;
using RectifiedSpaAttn.Kernels;

namespace RectifiedSpaAttn.Tests.Cli;

public class CliKernelsTests
{
    [Fact]
    public void DumpWritesPtxAndOpenCLForEveryVariant()
    {
        using var dir = new TempDirectory();
        string target = dir.File("nested/dump"); // created by the command
        var r = CliRunner.Run("kernels", "--dump", target);

        Assert.True(r.ExitCode == 0, r.Error);
        IReadOnlyList<KernelVariant> variants = KernelCatalog.Variants;
        Assert.NotEmpty(variants);
        foreach (KernelVariant v in variants)
        {
            Assert.Equal(v.Ptx, File.ReadAllText(Path.Combine(target, v.EntryPoint + ".ptx")));
            Assert.Equal(v.OpenCL, File.ReadAllText(Path.Combine(target, v.EntryPoint + ".cl")));
        }
        Assert.Equal(2 * variants.Count, Directory.GetFiles(target).Length);
        Assert.Contains($"wrote {variants.Count} PTX", r.Output);
    }

    [Fact]
    public void WithoutDumpListsKernelsAndVariants()
    {
        var r = CliRunner.Run("kernels");

        Assert.True(r.ExitCode == 0, r.Error);
        foreach (KernelVariant v in KernelCatalog.Variants)
        {
            Assert.Contains(v.KernelName + "(", r.Output);
            Assert.Contains(v.EntryPoint, r.Output);
        }
        Assert.Contains("FlashAttentionKernels.Dense(Float32[] q", r.Output);
        Assert.Contains("headDim=128", r.Output);
    }

    [Fact]
    public void AssemblyDumpsTheKernelsOfAnotherAssembly()
    {
        using var dir = new TempDirectory();
        string corpus = typeof(RectifiedSpaAttn.Kernels.Corpus.CorpusCatalog).Assembly.Location;
        var r = CliRunner.Run("kernels", "--assembly", corpus, "--dump", dir.Path);

        Assert.True(r.ExitCode == 0, r.Error);
        IReadOnlyList<KernelVariant> variants = RectifiedSpaAttn.Kernels.Corpus.CorpusCatalog.Variants;
        Assert.Contains(variants, v => v.KernelName == "TiledMatmulKernels.Matmul");
        foreach (KernelVariant v in variants)
            Assert.Equal(v.Ptx, File.ReadAllText(Path.Combine(dir.Path, v.EntryPoint + ".ptx")));
        Assert.Equal(2 * variants.Count, Directory.GetFiles(dir.Path).Length);

        var library = CliRunner.Run("kernels", "--assembly", typeof(KernelCatalog).Assembly.Location);
        Assert.Equal(0, library.ExitCode);
        Assert.Contains("FlashAttentionKernels.Dense(", library.Output);
        var none = CliRunner.Run("kernels", "--assembly", typeof(CliKernelsTests).Assembly.Location);
        Assert.Equal(1, none.ExitCode);
        Assert.Contains("holds no kernels", none.Error);
    }

    [Fact]
    public void DumpIntoAFileIsAUserError()
    {
        using var dir = new TempDirectory();
        string file = dir.File("not-a-directory");
        File.WriteAllText(file, "x");
        var r = CliRunner.Run("kernels", "--dump", file);
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("rsa kernels: error:", r.Error);
    }

    [Fact]
    public void HelpAndUnknownOptions()
    {
        Assert.Contains("--dump DIR", CliRunner.Run("kernels", "--help").Output);
        var r = CliRunner.Run("kernels", "--dumb", "x");
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("dumb", r.Error);
    }
}
