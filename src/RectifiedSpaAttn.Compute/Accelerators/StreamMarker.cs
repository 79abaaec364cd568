namespace RectifiedSpaAttn.Compute;

/// <summary>
/// A point in one stream's work, recorded by <see cref="AcceleratorStream.RecordMarker"/> (a CUDA event, an OpenCL
/// marker): <see cref="HasPassed"/> turns true once everything enqueued on the stream before the marker has finished.
/// Memory that work before the marker used may be handed to other work, on any stream, from then on. Dispose it when done.
/// </summary>
public abstract class StreamMarker : IDisposable
{
    private int _disposed;
    private volatile bool _passed;

    private protected StreamMarker() { }

    /// <summary>Whether the stream has finished everything enqueued before the marker. Does not wait.</summary>
    /// <exception cref="AcceleratorException">Work before the marker failed.</exception>
    /// <exception cref="ObjectDisposedException">The marker was disposed.</exception>
    public bool HasPassed
    {
        get
        {
            if (_passed) return true;
            ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
            return _passed = QueryPassed();
        }
    }

    /// <summary>Releases the native event (the work before it is not affected).</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0) ReleaseNative();
        GC.SuppressFinalize(this);
    }

    /// <summary>A marker that has already passed (the CPU, whose launches finish before they return).</summary>
    internal static StreamMarker Passed() => new PassedMarker();

    /// <summary>Asks the driver whether the marker has been reached.</summary>
    private protected abstract bool QueryPassed();

    /// <summary>Frees the native event (errors are ignored: a faulted or disposed context reclaims it anyway).</summary>
    private protected abstract void ReleaseNative();

    private sealed class PassedMarker : StreamMarker
    {
        private protected override bool QueryPassed() => true;

        private protected override void ReleaseNative() { }
    }
}
