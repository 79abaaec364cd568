using RectifiedSpaAttn.Compute;
using RectifiedSpaAttn.Compute.Cuda;
using Xunit.Abstractions;

namespace RectifiedSpaAttn.Tests.Accelerators;

/// <summary>
/// Decides whether CUDA tests can run. CI machines have no GPU, so without CUDA the test returns early and says why,
/// unless <c>RSA_REQUIRE_CUDA=1</c> (set it on GPU machines), which turns a missing CUDA device into a failure.
/// </summary>
internal static class CudaTestDevice
{
    private static readonly Lazy<CudaAccelerator?> s_shared = new(() =>
    {
        if (!Context.IsCudaAvailable) return null;
        var context = Context.Create();
        return (CudaAccelerator)context.CreateAccelerator(context.Devices.First(d => d.Kind == AcceleratorKind.Cuda));
    });

    public static bool Required => Environment.GetEnvironmentVariable("RSA_REQUIRE_CUDA") == "1";

    /// <summary>A process-wide CUDA accelerator on device 0 (never dispose it), or null when there is no CUDA.</summary>
    public static CudaAccelerator? TryGet(ITestOutputHelper output)
    {
        if (Context.IsCudaAvailable) return s_shared.Value;
        string why = $"CUDA is {Context.CudaUnavailableReason}.";
        if (Required) Assert.Fail($"RSA_REQUIRE_CUDA=1 but {why}");
        output.WriteLine($"CUDA test not run on this machine: {why}");
        return null;
    }
}
