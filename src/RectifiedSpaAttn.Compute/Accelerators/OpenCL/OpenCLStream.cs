using static RectifiedSpaAttn.Compute.OpenCL.OpenCLApi;

namespace RectifiedSpaAttn.Compute.OpenCL;

/// <summary>
/// An in-order OpenCL command queue. It keeps the event of the last command enqueued without waiting (launches,
/// stream-ordered uploads): in an in-order queue that command finishing means everything before it has, which is what
/// <see cref="AcceleratorStream.IsComplete"/> and markers ask. (A marker command enqueued just to be queried would not
/// do: it is itself pending until the runtime gets to it, even on an idle queue.)
/// </summary>
internal sealed unsafe class OpenCLStream(OpenCLAccelerator accelerator, nint queue, bool isDefault) : AcceleratorStream(accelerator, isDefault)
{
    private readonly object _gate = new();
    private nint _lastEvent;

    /// <summary>The <c>cl_command_queue</c>.</summary>
    public nint Queue { get; } = queue;

    /// <summary>Takes the event of a command just enqueued on this queue (releasing the previous one).</summary>
    public void Enqueued(nint evt)
    {
        lock (_gate)
        {
            if (_lastEvent != 0) clReleaseEvent(_lastEvent);
            _lastEvent = evt;
        }
    }

    private protected override void SynchronizeCore() => OpenCLErrors.Check(clFinish(Queue), "clFinish");

    private protected override bool IsCompleteCore()
    {
        lock (_gate)
        {
            if (_lastEvent == 0) return true;
            OpenCLErrors.Check(clFlush(Queue), "clFlush");
            return OpenCLMarker.IsComplete(_lastEvent);
        }
    }

    private protected override StreamMarker RecordMarkerCore()
    {
        lock (_gate)
        {
            if (_lastEvent == 0) return StreamMarker.Passed();
            // Flushed, so that the device gets to the command without a later wait.
            OpenCLErrors.Check(clFlush(Queue), "clFlush");
            OpenCLErrors.Check(clRetainEvent(_lastEvent), "clRetainEvent");
            return new OpenCLMarker(_lastEvent);
        }
    }

    private protected override void DisposeCore()
    {
        clFinish(Queue);
        Enqueued(0);
        OpenCLErrors.Check(clReleaseCommandQueue(Queue), "clReleaseCommandQueue");
    }
}

/// <summary>A retained OpenCL event: the marker has passed once its command has completed.</summary>
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
