using RectifiedSpaAttn.Compute;
using RectifiedSpaAttn.Compute.OpenCL;
using RectifiedSpaAttn.Tests.TestSupport;

namespace RectifiedSpaAttn.Generators.Tests.OpenCL;

/// <summary>
/// Whether OpenCL tests can run, by the rule of RectifiedSpaAttn.Tests' helper of the same name: in CI (<c>CI=true</c>)
/// a missing OpenCL platform fails the test, because CI installs pocl; elsewhere the test is skipped with the reason.
/// RSA_OPENCL_DEVICE picks the device whose platform or device name contains it (e.g. "NVIDIA").
/// </summary>
internal static class OpenCLTestDevice
{
    private static readonly Lazy<OpenCLAccelerator> s_shared = new(() =>
    {
        var context = Context.Create();
        string? wanted = Environment.GetEnvironmentVariable("RSA_OPENCL_DEVICE");
        var openCL = context.Devices.Where(d => d.Kind == AcceleratorKind.OpenCL).ToList();
        AcceleratorInfo? chosen = string.IsNullOrEmpty(wanted)
            ? openCL.FirstOrDefault()
            : openCL.FirstOrDefault(d => d.Name.Contains(wanted, StringComparison.OrdinalIgnoreCase) || (d.PlatformName?.Contains(wanted, StringComparison.OrdinalIgnoreCase) ?? false));
        if (chosen is null)
            throw new InvalidOperationException($"no OpenCL device matches RSA_OPENCL_DEVICE='{wanted}'; devices: {string.Join("; ", openCL.Select(d => d.PlatformName + " / " + d.Name))}");
        return (OpenCLAccelerator)context.CreateAccelerator(chosen);
    });

    /// <summary>A process-wide accelerator (never dispose it); where there is no OpenCL the test is skipped, or fails in CI.</summary>
    public static OpenCLAccelerator RequireOrSkipOutsideCI(ITestOutputHelper output)
    {
        if (!Context.IsOpenCLAvailable)
            MissingTool.RequiredInCI($"OpenCL is {Context.OpenCLUnavailableReason}. Install pocl with .ci/install-opencl.sh.");
        return s_shared.Value;
    }
}
