using RectifiedSpaAttn.Compute;
using RectifiedSpaAttn.Compute.OpenCL;
using RectifiedSpaAttn.Tests.TestSupport;

namespace RectifiedSpaAttn.Tests.Accelerators;

/// <summary>
/// The one place OpenCL tests decide whether they can run. In CI (<c>CI=true</c>) a missing OpenCL platform is a
/// failure: CI installs pocl, so its absence means a broken install step. Elsewhere the test is skipped with the reason
/// (see <see cref="MissingTool"/>).
/// </summary>
internal static class OpenCLTestDevice
{
    private static readonly Lazy<(Context Context, OpenCLAccelerator Accelerator)?> s_shared = new(() =>
    {
        if (!Context.IsOpenCLAvailable) return null;
        var context = Context.Create();
        var accelerator = (OpenCLAccelerator)context.CreateAccelerator(Pick(context));
        return (context, accelerator);
    });

    /// <summary>
    /// A process-wide OpenCL accelerator on the first OpenCL device (shared so programs are built once; never dispose
    /// it); where there is no OpenCL the test is skipped, or fails in CI.
    /// </summary>
    public static OpenCLAccelerator RequireOrSkipOutsideCI(ITestOutputHelper output)
    {
        RequireOpenCL();
        return s_shared.Value!.Value.Accelerator;
    }

    /// <summary>A new OpenCL accelerator the caller owns (for disposal tests), under the same rule as <see cref="RequireOrSkipOutsideCI"/>.</summary>
    public static OpenCLAccelerator CreateOrSkipOutsideCI(ITestOutputHelper output)
    {
        RequireOpenCL();
        var context = Context.Create();
        return (OpenCLAccelerator)context.CreateAccelerator(Pick(context));
    }

    /// <summary>
    /// The OpenCL device the tests use: the first one, or the first whose platform or device name contains the
    /// environment variable RSA_OPENCL_DEVICE (e.g. "NVIDIA" on the GPU machine, where pocl is also present).
    /// </summary>
    private static AcceleratorInfo Pick(Context context)
    {
        string? wanted = Environment.GetEnvironmentVariable("RSA_OPENCL_DEVICE");
        var openCL = context.Devices.Where(d => d.Kind == AcceleratorKind.OpenCL).ToList();
        AcceleratorInfo? chosen = string.IsNullOrEmpty(wanted)
            ? openCL.FirstOrDefault()
            : openCL.FirstOrDefault(d => d.Name.Contains(wanted, StringComparison.OrdinalIgnoreCase) || (d.PlatformName?.Contains(wanted, StringComparison.OrdinalIgnoreCase) ?? false));
        return chosen ?? throw new InvalidOperationException(
            $"no OpenCL device matches RSA_OPENCL_DEVICE='{wanted}'; devices: {string.Join("; ", openCL.Select(d => d.PlatformName + " / " + d.Name))}");
    }

    private static void RequireOpenCL()
    {
        if (!Context.IsOpenCLAvailable)
            MissingTool.RequiredInCI($"OpenCL is {Context.OpenCLUnavailableReason}. Install pocl with .ci/install-opencl.sh.");
    }
}
