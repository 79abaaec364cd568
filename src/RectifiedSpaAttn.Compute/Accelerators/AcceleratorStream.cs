namespace RectifiedSpaAttn.Compute;

/// <summary>
/// An ordered queue of launches on one accelerator (a CUDA stream, an OpenCL command queue; the CPU runs launches
/// as they are made). Launches on one stream run in order; launches on different streams may overlap. Buffer
/// copies and fills without a stream argument are ordered with the accelerator's default stream: call
/// <see cref="Synchronize"/> on another stream before reading what its kernels wrote that way, or use the copies that
/// take a stream (<see cref="DeviceBuffer{T}.CopyFrom(ReadOnlySpan{T}, long, AcceleratorStream)"/>,
/// <see cref="DeviceBuffer{T}.CopyTo(Span{T}, long, AcceleratorStream)"/>). A stream is meant for one thread at a
/// time; give each thread its own.
/// </summary>
public abstract class AcceleratorStream : IKernelLauncher, IDisposable
{
    private int _disposed;
    private HostStaging? _staging;

    private protected AcceleratorStream(Accelerator accelerator, bool isDefault)
    {
        Accelerator = accelerator;
        IsDefault = isDefault;
    }

    /// <summary>The accelerator this stream belongs to.</summary>
    public Accelerator Accelerator { get; }

    /// <summary>Whether this is the accelerator's default stream (disposed with the accelerator, not by <see cref="Dispose"/>).</summary>
    public bool IsDefault { get; }

    /// <summary>
    /// Launches <paramref name="variant"/>: checks the arguments against <see cref="KernelVariant.Parameters"/> (count,
    /// buffer or scalar, type; buffers must be live buffers of this accelerator and lie inside them) and the
    /// dimensions against the device's limits, then enqueues the kernel. Returns before the kernel finishes on GPUs.
    /// </summary>
    /// <param name="variant">The compiled kernel variant.</param>
    /// <param name="dims">Grid, group and dynamic shared memory sizes.</param>
    /// <param name="arguments">One argument per parameter of <paramref name="variant"/>, in order.</param>
    /// <exception cref="ArgumentException">The arguments do not match the variant's parameters, or the dimensions exceed the device's limits.</exception>
    /// <exception cref="NotSupportedException">The variant cannot run on this backend.</exception>
    /// <exception cref="AcceleratorException">The driver rejected the kernel or the launch.</exception>
    /// <exception cref="ObjectDisposedException">The stream or its accelerator was disposed.</exception>
    public void Launch(KernelVariant variant, LaunchDimensions dims, ReadOnlySpan<KernelArgument> arguments)
    {
        ThrowIfDisposed();
        Accelerator.LaunchOn(this, variant, dims, arguments);
    }

    /// <summary>Waits until everything launched on this stream has finished.</summary>
    /// <exception cref="AcceleratorException">A kernel on this stream failed.</exception>
    public void Synchronize()
    {
        ThrowIfDisposed();
        Accelerator.ThrowIfDisposed();
        SynchronizeCore();
    }

    /// <summary>
    /// Whether everything enqueued on this stream so far has finished (CUDA <c>cuStreamQuery</c>; on OpenCL a marker
    /// enqueued and queried; always true on the CPU, whose launches finish before they return). Does not wait.
    /// </summary>
    /// <exception cref="AcceleratorException">Work on this stream failed.</exception>
    /// <exception cref="ObjectDisposedException">The stream or its accelerator was disposed.</exception>
    public bool IsComplete
    {
        get
        {
            ThrowIfDisposed();
            Accelerator.ThrowIfDisposed();
            return IsCompleteCore();
        }
    }

    /// <summary>Whether the stream was disposed, or its accelerator was (the default stream goes only with the accelerator).</summary>
    public bool IsDisposed => Volatile.Read(ref _disposed) != 0 || Accelerator.IsDisposed;

    /// <summary>
    /// Records a marker behind the work enqueued on this stream so far: its <see cref="StreamMarker.HasPassed"/> turns
    /// true once that work has finished. Dispose the marker when done with it.
    /// </summary>
    /// <exception cref="ObjectDisposedException">The stream or its accelerator was disposed.</exception>
    public StreamMarker RecordMarker()
    {
        ThrowIfDisposed();
        Accelerator.ThrowIfDisposed();
        return RecordMarkerCore();
    }

    /// <summary>The host memory this stream's uploads are staged in (created on first use).</summary>
    internal HostStaging Staging
    {
        get
        {
            ThrowIfDisposed();
            if (_staging is { } staging) return staging;
            Interlocked.CompareExchange(ref _staging, new HostStaging(Accelerator, this), null);
            return _staging;
        }
    }

    /// <summary>
    /// Releases the stream; work already launched on it still completes. Does nothing for the default stream, which
    /// the accelerator owns.
    /// </summary>
    public void Dispose()
    {
        if (!IsDefault) Release();
        GC.SuppressFinalize(this);
    }

    /// <summary>Releases the native stream once (the accelerator calls this for its default stream when disposed).</summary>
    internal void Release()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        try
        {
            if (_staging is { IsEmpty: false } staging)
            {
                // Copies from the staging memory may still be queued: wait for them before the memory goes.
                try
                {
                    SynchronizeCore();
                }
                finally
                {
                    staging.Free();
                }
            }
            DisposeCore();
        }
        finally
        {
            if (!IsDefault) Accelerator.OnStreamDisposed(this);
        }
    }

    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);

    /// <summary>Waits for the stream.</summary>
    private protected abstract void SynchronizeCore();

    /// <summary>Whether the stream has finished its work, without waiting.</summary>
    private protected abstract bool IsCompleteCore();

    /// <summary>Enqueues a marker and returns it.</summary>
    private protected abstract StreamMarker RecordMarkerCore();

    /// <summary>Releases the native stream.</summary>
    private protected abstract void DisposeCore();
}
