using RectifiedSpaAttn.Compute;

namespace RectifiedSpaAttn.Tests.Cli;

public class CliDevicesTests
{
    [Fact]
    public void DevicesListsTheCpuAndExplainsMissingBackends()
    {
        var r = CliRunner.Run("devices");

        Assert.True(r.ExitCode == 0, r.Error);
        Assert.Contains("Cpu", r.Output);
        if (!Context.IsCudaAvailable) Assert.Contains("CUDA: not available", r.Output);
        if (Context.IsOpenCLAvailable) Assert.Contains("OpenCL ", r.Output);
        else Assert.Contains("OpenCL: not available", r.Output);
    }

    [Fact]
    public void DevicesRejectsOptions()
    {
        var r = CliRunner.Run("devices", "--bogus", "1");
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("bogus", r.Error);
    }
}
