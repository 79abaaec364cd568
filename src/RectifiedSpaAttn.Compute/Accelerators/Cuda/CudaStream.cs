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

    private protected override bool IsCompleteCore()
    {
        _accelerator.MakeCurrent();
        int result = cuStreamQuery(Handle);
        if (result == CUDA_ERROR_NOT_READY) return false;
        CudaErrors.Check(result, "cuStreamQuery");
        return true;
    }

    private protected override unsafe StreamMarker RecordMarkerCore()
    {
        _accelerator.MakeCurrent();
        nint evt;
        CudaErrors.Check(cuEventCreate(&evt, EventDisableTiming), "cuEventCreate");
        int recorded = cuEventRecord(evt, Handle);
        if (recorded != 0)
        {
            cuEventDestroy(evt);
            CudaErrors.Check(recorded, "cuEventRecord");
        }
        return new CudaMarker(_accelerator, evt);
    }

    private protected override void DisposeCore()
    {
        if (Handle == 0) return;
        _accelerator.MakeCurrent();
        // Destroying a stream with pending work is allowed: the driver releases it once the work completes.
        CudaErrors.Check(cuStreamDestroy(Handle), "cuStreamDestroy_v2");
    }
}

/// <summary>A CUDA event recorded on a stream.</summary>
internal sealed class CudaMarker(CudaAccelerator accelerator, nint evt) : StreamMarker
{
    private protected override bool QueryPassed()
    {
        accelerator.MakeCurrent();
        int result = cuEventQuery(evt);
        if (result == CUDA_ERROR_NOT_READY) return false;
        CudaErrors.Check(result, "cuEventQuery");
        return true;
    }

    private protected override void ReleaseNative()
    {
        // A disposed accelerator's context took its events with it.
        if (accelerator.IsDisposed) return;
        try
        {
            accelerator.MakeCurrent();
            cuEventDestroy(evt);
        }
        catch (AcceleratorException)
        {
        }
    }
}
