namespace RectifiedSpaAttn.Compute;

/// <summary>
/// An allocation of device memory owned by one <see cref="Compute.Accelerator"/>. Pass <see cref="View"/> (or a
/// <see cref="ArrayView{T}.SubView"/> of it) to kernels; copy data in and out with <see cref="CopyFrom(ReadOnlySpan{T})"/>
/// and <see cref="CopyTo(Span{T})"/>. Copies and fills are ordered with the accelerator's default stream: a copy out
/// waits for the kernels launched there before it, and returns when the data has arrived. The overloads that take an
/// <see cref="AcceleratorStream"/> are ordered on that stream instead: an upload returns at once (its data staged in
/// host memory the stream owns), a download waits for that stream only.
/// </summary>
/// <typeparam name="T">The element type.</typeparam>
public sealed unsafe class DeviceBuffer<T> : IDeviceAllocation, IDisposable where T : unmanaged
{
    private nint _handle;
    private int _disposed;

    internal DeviceBuffer(Accelerator accelerator, long length)
    {
        if (length < 0 || length > long.MaxValue / sizeof(T))
            throw new ArgumentOutOfRangeException(nameof(length), length, $"Cannot allocate {length} elements of {typeof(T).Name}.");
        Accelerator = accelerator;
        Length = length;
        // Drivers reject zero-byte allocations; an empty buffer simply has no memory behind it (handle 0).
        _handle = length == 0 ? 0 : accelerator.AllocateBytes(LengthInBytes);
        accelerator.Track(this);
    }

    /// <summary>The accelerator that owns the memory.</summary>
    public Accelerator Accelerator { get; }

    /// <summary>Number of elements.</summary>
    public long Length { get; }

    /// <summary>Size in bytes.</summary>
    public long LengthInBytes => Length * sizeof(T);

    /// <summary>Whether <see cref="Dispose"/> has been called (directly or by disposing the accelerator).</summary>
    public bool IsDisposed => Volatile.Read(ref _disposed) != 0;

    /// <summary>A view of the whole buffer, to pass to kernels.</summary>
    /// <exception cref="ObjectDisposedException">The buffer was disposed.</exception>
    public ArrayView<T> View
    {
        get
        {
            ThrowIfDisposed();
            return new ArrayView<T>(_handle, 0, Length);
        }
    }

    nint IDeviceAllocation.Handle => _handle;

    /// <summary>A view of <paramref name="length"/> elements starting at <paramref name="start"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The range is not inside the buffer.</exception>
    public ArrayView<T> SubView(long start, long length) => View.SubView(start, length);

    /// <summary>Copies <paramref name="source"/> into the whole buffer.</summary>
    /// <exception cref="ArgumentException"><paramref name="source"/>'s length differs from <see cref="Length"/>.</exception>
    public void CopyFrom(ReadOnlySpan<T> source)
    {
        ThrowIfDisposed();
        if (source.Length != Length)
            throw new ArgumentException($"The source has {source.Length} elements but the buffer has {Length}.", nameof(source));
        CopyFrom(source, 0);
    }

    /// <summary>Copies <paramref name="source"/> into the buffer starting at element <paramref name="destinationIndex"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The range does not fit in the buffer.</exception>
    public void CopyFrom(ReadOnlySpan<T> source, long destinationIndex)
    {
        ThrowIfDisposed();
        CheckRange(destinationIndex, source.Length, nameof(destinationIndex));
        if (source.IsEmpty) return;
        fixed (T* s = source)
            Accelerator.CopyToDevice(_handle, destinationIndex * sizeof(T), s, (long)source.Length * sizeof(T));
    }

    /// <summary>
    /// Enqueues on <paramref name="stream"/> a copy of <paramref name="source"/> into the buffer starting at element
    /// <paramref name="destinationIndex"/>, and returns without waiting for the device: the data is first copied into
    /// host memory the stream owns (page-locked on CUDA), so <paramref name="source"/> may be reused at once, and the
    /// device copy runs when the stream reaches it, ordered with the stream's launches.
    /// </summary>
    /// <param name="source">The elements to copy.</param>
    /// <param name="destinationIndex">The first element of the buffer to write.</param>
    /// <param name="stream">A stream of this buffer's accelerator.</param>
    /// <exception cref="ArgumentOutOfRangeException">The range does not fit in the buffer.</exception>
    /// <exception cref="ArgumentException"><paramref name="stream"/> belongs to another accelerator.</exception>
    public void CopyFrom(ReadOnlySpan<T> source, long destinationIndex, AcceleratorStream stream)
    {
        ThrowIfDisposed();
        CheckRange(destinationIndex, source.Length, nameof(destinationIndex));
        if (source.IsEmpty) return;
        fixed (T* s = source)
            Accelerator.CopyToDevice(stream, _handle, destinationIndex * sizeof(T), s, (long)source.Length * sizeof(T));
    }

    /// <summary>
    /// Copies <paramref name="destination"/>.Length elements, starting at <paramref name="sourceIndex"/>, into
    /// <paramref name="destination"/> once the work enqueued on <paramref name="stream"/> before it has finished (only
    /// that stream's work is waited for); returns when the data has arrived.
    /// </summary>
    /// <param name="destination">Receives the elements.</param>
    /// <param name="sourceIndex">The first element of the buffer to read.</param>
    /// <param name="stream">A stream of this buffer's accelerator.</param>
    /// <exception cref="ArgumentOutOfRangeException">The range is not inside the buffer.</exception>
    /// <exception cref="ArgumentException"><paramref name="stream"/> belongs to another accelerator.</exception>
    /// <exception cref="AcceleratorException">Work on the stream failed.</exception>
    public void CopyTo(Span<T> destination, long sourceIndex, AcceleratorStream stream)
    {
        ThrowIfDisposed();
        CheckRange(sourceIndex, destination.Length, nameof(sourceIndex));
        if (destination.IsEmpty) return;
        fixed (T* d = destination)
            Accelerator.CopyFromDevice(stream, _handle, sourceIndex * sizeof(T), d, (long)destination.Length * sizeof(T));
    }

    /// <summary>Copies the whole buffer into <paramref name="destination"/>.</summary>
    /// <exception cref="ArgumentException"><paramref name="destination"/>'s length differs from <see cref="Length"/>.</exception>
    public void CopyTo(Span<T> destination)
    {
        ThrowIfDisposed();
        if (destination.Length != Length)
            throw new ArgumentException($"The destination has {destination.Length} elements but the buffer has {Length}.", nameof(destination));
        CopyTo(destination, 0);
    }

    /// <summary>Copies <paramref name="destination"/>.Length elements, starting at <paramref name="sourceIndex"/>, into <paramref name="destination"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The range is not inside the buffer.</exception>
    public void CopyTo(Span<T> destination, long sourceIndex)
    {
        ThrowIfDisposed();
        CheckRange(sourceIndex, destination.Length, nameof(sourceIndex));
        if (destination.IsEmpty) return;
        fixed (T* d = destination)
            Accelerator.CopyFromDevice(_handle, sourceIndex * sizeof(T), d, (long)destination.Length * sizeof(T));
    }

    /// <summary>Copies the buffer into a new array.</summary>
    /// <exception cref="InvalidOperationException">The buffer is too long for an array.</exception>
    public T[] ToArray()
    {
        ThrowIfDisposed();
        if (Length > Array.MaxLength)
            throw new InvalidOperationException($"A buffer of {Length} elements does not fit in an array.");
        var result = new T[Length];
        CopyTo(result);
        return result;
    }

    /// <summary>Sets every element to <paramref name="value"/>.</summary>
    public void Fill(T value)
    {
        ThrowIfDisposed();
        if (Length == 0) return;
        Accelerator.FillBytes(_handle, 0, LengthInBytes, &value, sizeof(T));
    }

    /// <summary>Frees the memory. Views of it must no longer be used.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        Accelerator.Untrack(this);
        if (_handle != 0 && Accelerator.CanRelease) Accelerator.FreeBytes(_handle);
        _handle = 0;
    }

    /// <inheritdoc/>
    public override string ToString() => $"DeviceBuffer<{typeof(T).Name}>[{Length}] on {Accelerator.Name}";

    private void ThrowIfDisposed()
    {
        ObjectDisposedException.ThrowIf(IsDisposed, this);
        Accelerator.ThrowIfDisposed();
    }

    private void CheckRange(long start, int count, string paramName)
    {
        if (start < 0 || start > Length - count)
            throw new ArgumentOutOfRangeException(paramName, start, $"{count} elements starting at {start} do not fit in a buffer of {Length}.");
    }
}
