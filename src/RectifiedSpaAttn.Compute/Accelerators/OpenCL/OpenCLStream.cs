using static RectifiedSpaAttn.Compute.OpenCL.OpenCLApi;

namespace RectifiedSpaAttn.Compute.OpenCL;

/// <summary>An in-order OpenCL command queue.</summary>
internal sealed unsafe class OpenCLStream(OpenCLAccelerator accelerator, nint queue, bool isDefault) : AcceleratorStream(accelerator, isDefault)
{
    /// <summary>The <c>cl_command_queue</c>.</summary>
    public nint Queue { get; } = queue;

    private protected override void SynchronizeCore() => OpenCLErrors.Check(clFinish(Queue), "clFinish");

    private protected override bool IsCompleteCore()
    {
        nint marker = EnqueueMarker();
        try
        {
            return OpenCLMarker.IsComplete(marker);
        }
        finally
        {
            clReleaseEvent(marker);
        }
    }

    private protected override StreamMarker RecordMarkerCore() => new OpenCLMarker(EnqueueMarker());

    /// <summary>A marker event behind everything enqueued so far, flushed so that the device gets to it without a later wait.</summary>
    private nint EnqueueMarker()
    {
        nint evt;
        OpenCLErrors.Check(clEnqueueMarkerWithWaitList(Queue, 0, null, &evt), "clEnqueueMarkerWithWaitList");
        int flushed = clFlush(Queue);
        if (flushed != CL_SUCCESS)
        {
            clReleaseEvent(evt);
            OpenCLErrors.Check(flushed, "clFlush");
        }
        return evt;
    }

    private protected override void DisposeCore()
    {
        clFinish(Queue);
        OpenCLErrors.Check(clReleaseCommandQueue(Queue), "clReleaseCommandQueue");
    }
}

/// <summary>An OpenCL marker event.</summary>
internal sealed unsafe class OpenCLMarker(nint evt) : StreamMarker
{
    /// <summary>Whether <paramref name="evt"/> has completed (a negative status is the error of a failed command).</summary>
    public static bool IsComplete(nint evt)
    {
        int status;
        OpenCLErrors.Check(clGetEventInfo(evt, CL_EVENT_COMMAND_EXECUTION_STATUS, sizeof(int), &status, null), "clGetEventInfo");
        if (status < 0) OpenCLErrors.Check(status, "a command before the marker");
        return status == CL_COMPLETE;
    }

    private protected override bool QueryPassed() => IsComplete(evt);

    private protected override void ReleaseNative() => clReleaseEvent(evt);
}
