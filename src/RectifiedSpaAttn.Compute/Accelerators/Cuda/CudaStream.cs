using static RectifiedSpaAttn.Compute.Cuda.CudaApi;

namespace RectifiedSpaAttn.Compute.Cuda;

/// <summary>
/// A CUDA stream. The default stream is the legacy NULL stream (handle 0); created streams are blocking streams, so
/// they also wait for, and are waited for by, the NULL stream's work (including buffer copies and fills).
/// </summary>
internal sealed class CudaStream : AcceleratorStream
{
    private readonly CudaAccelerator _accelerator;

    public CudaStream(CudaAccelerator accelerator, nint handle, bool isDefault) : base(accelerator, isDefault)
    {
        _accelerator = accelerator;
        Handle = handle;
    }

    /// <summary>The <c>CUstream</c> (0 for the NULL stream).</summary>
    public nint Handle { get; }

    private protected override void SynchronizeCore()
    {
        _accelerator.MakeCurrent();
        CudaErrors.Check(cuStreamSynchronize(Handle), "cuStreamSynchronize");
    }

    private protected override void DisposeCore()
    {
        if (Handle == 0) return;
        _accelerator.MakeCurrent();
        // Destroying a stream with pending work is allowed: the driver releases it once the work completes.
        CudaErrors.Check(cuStreamDestroy(Handle), "cuStreamDestroy_v2");
    }
}
