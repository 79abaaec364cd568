using RectifiedSpaAttn.Compute;

namespace RectifiedSpaAttn.Attention.Pipeline;

/// <summary>
/// One <see cref="StreamMarker"/> that several pooled buffers wait on (every buffer a call hands back at once): counted
/// references, the native marker disposed with the last one.
/// </summary>
internal sealed class SharedMarker
{
    private readonly StreamMarker _marker;
    private int _references = 1;

    private SharedMarker(StreamMarker marker) => _marker = marker;

    /// <summary>
    /// A marker behind the work enqueued on <paramref name="stream"/> so far (one reference, the caller's). When the
    /// stream was disposed already, waits for the accelerator instead and returns a marker that has passed.
    /// </summary>
    public static SharedMarker Record(AcceleratorStream stream)
    {
        try
        {
            return new SharedMarker(stream.RecordMarker());
        }
        catch (ObjectDisposedException) when (!stream.Accelerator.IsDisposed)
        {
            stream.Accelerator.Synchronize();
            return new SharedMarker(stream.Accelerator.DefaultStream.RecordMarker());
        }
    }

    /// <inheritdoc cref="StreamMarker.HasPassed"/>
    public bool HasPassed => _marker.HasPassed;

    /// <summary>Adds a holder; returns this marker.</summary>
    public SharedMarker Retain()
    {
        Interlocked.Increment(ref _references);
        return this;
    }

    /// <summary>Drops a holder; the last one disposes the native marker.</summary>
    public void Release()
    {
        if (Interlocked.Decrement(ref _references) == 0) _marker.Dispose();
    }
}
