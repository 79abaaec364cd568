using static RectifiedSpaAttn.Compute.OpenCL.OpenCLApi;

namespace RectifiedSpaAttn.Compute.OpenCL;

/// <summary>An in-order OpenCL command queue.</summary>
internal sealed class OpenCLStream(OpenCLAccelerator accelerator, nint queue, bool isDefault) : AcceleratorStream(accelerator, isDefault)
{
    /// <summary>The <c>cl_command_queue</c>.</summary>
    public nint Queue { get; } = queue;

    private protected override void SynchronizeCore() => OpenCLErrors.Check(clFinish(Queue), "clFinish");

    private protected override void DisposeCore()
    {
        clFinish(Queue);
        OpenCLErrors.Check(clReleaseCommandQueue(Queue), "clReleaseCommandQueue");
    }
}
