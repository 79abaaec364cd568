using RectifiedSpaAttn.Compute;
using RectifiedSpaAttn.Compute.Cuda;
using RectifiedSpaAttn.Tests.TestSupport;

namespace RectifiedSpaAttn.Tests.Accelerators;

/// <summary>
/// Decides whether CUDA tests can run. CI machines have no GPU, so without CUDA the test is skipped with the reason,
/// unless <c>RSA_REQUIRE_CUDA=1</c> (set it on GPU machines), which turns a missing CUDA device into a failure (see <see cref="MissingTool"/>).
/// </summary>
internal static class CudaTestDevice
{
    private static readonly Lazy<CudaAccelerator?> s_shared = new(() =>
    {
        if (!Context.IsCudaAvailable) return null;
        var context = Context.Create();
        return (CudaAccelerator)context.CreateAccelerator(context.Devices.First(d => d.Kind == AcceleratorKind.Cuda));
    });

    /// <summary>A process-wide CUDA accelerator on device 0 (never dispose it); skips the test where there is no CUDA.</summary>
    public static CudaAccelerator TryGet(ITestOutputHelper output)
    {
        if (!Context.IsCudaAvailable) MissingTool.RequiredOnGpuMachines($"CUDA is {Context.CudaUnavailableReason}.");
        return s_shared.Value!;
    }
}
