using System.Collections.Concurrent;
using System.Runtime.InteropServices;
using RectifiedSpaAttn.Compute.Cpu;

namespace RectifiedSpaAttn.Compute;

/// <summary>
/// One device ready for work: allocates <see cref="DeviceBuffer{T}"/>s, launches kernel variants and synchronises.
/// Created by <see cref="Context.CreateAccelerator"/> / <see cref="Context.CreateBest"/>, or directly as
/// <see cref="CpuAccelerator"/>. Launches go to <see cref="DefaultStream"/> unless made on a stream from
/// <see cref="CreateStream"/>. Disposing the accelerator frees every buffer and stream it still owns.
/// </summary>
public abstract class Accelerator : IKernelLauncher, IDisposable
{
    private const int Alive = 0, Disposing = 1, Disposed = 2;

    private readonly ConcurrentDictionary<nint, IDeviceAllocation> _allocations = new();
    private readonly List<AcceleratorStream> _streams = [];
    private int _state;
    private long _allocationCount;

    private protected Accelerator(AcceleratorInfo info) => Info = info;

    /// <summary>The device this accelerator runs on.</summary>
    public AcceleratorInfo Info { get; }

    /// <summary>The device's name.</summary>
    public string Name => Info.Name;

    /// <summary>The backend.</summary>
    public AcceleratorKind Kind => Info.Kind;

    /// <summary>Global memory in bytes.</summary>
    public long MemoryBytes => Info.MemoryBytes;

    /// <inheritdoc cref="AcceleratorInfo.WarpSize"/>
    public int WarpSize => Info.WarpSize;

    /// <inheritdoc cref="AcceleratorInfo.MaxSharedMemoryPerGroup"/>
    public int MaxSharedMemoryPerGroup => Info.MaxSharedMemoryPerGroup;

    /// <inheritdoc cref="AcceleratorInfo.MaxGroupSize"/>
    public int MaxGroupSize => Info.MaxGroupSize;

    /// <inheritdoc cref="AcceleratorInfo.MultiprocessorCount"/>
    public int MultiprocessorCount => Info.MultiprocessorCount;

    /// <inheritdoc cref="AcceleratorInfo.ComputeCapability"/>
    public Version? ComputeCapability => Info.ComputeCapability;

    /// <summary>The stream <see cref="Launch"/> uses; buffer copies and fills are ordered with it.</summary>
    public abstract AcceleratorStream DefaultStream { get; }

    /// <summary>Whether <see cref="Dispose"/> has been called.</summary>
    public bool IsDisposed => Volatile.Read(ref _state) != Alive;

    /// <summary>
    /// How many device allocations this accelerator has made so far (one per non-empty <see cref="DeviceBuffer{T}"/>;
    /// freeing does not lower it). Compare it before and after work to see whether that work allocated: repeated
    /// attention calls of one shape, for one, allocate nothing once their scratch is pooled.
    /// </summary>
    public long AllocationCount => Interlocked.Read(ref _allocationCount);

    /// <summary>Allocates <paramref name="length"/> uninitialised elements of device memory.</summary>
    /// <typeparam name="T">The element type.</typeparam>
    /// <param name="length">Number of elements (0 gives an empty buffer).</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="length"/> is negative or too large.</exception>
    /// <exception cref="AcceleratorException">The driver could not allocate the memory.</exception>
    public DeviceBuffer<T> Allocate<T>(long length) where T : unmanaged
    {
        ThrowIfDisposed();
        return new DeviceBuffer<T>(this, length);
    }

    /// <summary>Waits until all work launched on this accelerator, on every stream, has finished.</summary>
    /// <exception cref="AcceleratorException">A kernel failed (errors of asynchronous launches surface here).</exception>
    public void Synchronize()
    {
        ThrowIfDisposed();
        SynchronizeCore();
    }

    /// <summary>Launches <paramref name="variant"/> on <see cref="DefaultStream"/>; see <see cref="AcceleratorStream.Launch"/>.</summary>
    /// <param name="variant">The compiled kernel variant.</param>
    /// <param name="dims">Grid, group and dynamic shared memory sizes.</param>
    /// <param name="arguments">One argument per parameter of <paramref name="variant"/>, in order.</param>
    /// <exception cref="ArgumentException">The arguments do not match the variant's parameters, or the dimensions exceed the device's limits.</exception>
    /// <exception cref="NotSupportedException">The variant cannot run on this backend.</exception>
    /// <exception cref="AcceleratorException">The driver rejected the kernel or the launch.</exception>
    public void Launch(KernelVariant variant, LaunchDimensions dims, ReadOnlySpan<KernelArgument> arguments)
        => DefaultStream.Launch(variant, dims, arguments);

    /// <summary>
    /// The most threads per group <paramref name="variant"/> can be launched with here: the device's
    /// <see cref="MaxGroupSize"/>, lowered where the compiled kernel needs more per thread (registers on CUDA,
    /// <c>CL_KERNEL_WORK_GROUP_SIZE</c> on OpenCL, often 256 on NVIDIA's OpenCL). Loads or builds the variant's
    /// program on first use, as a launch would. Size groups from this rather than from <see cref="MaxGroupSize"/>.
    /// </summary>
    /// <param name="variant">The compiled kernel variant.</param>
    /// <exception cref="NotSupportedException">The variant cannot run on this backend.</exception>
    /// <exception cref="AcceleratorException">The driver could not load or build the variant.</exception>
    public int MaxGroupSizeFor(KernelVariant variant)
    {
        ArgumentNullException.ThrowIfNull(variant);
        ThrowIfDisposed();
        int limit = Math.Min(MaxGroupSize, MaxGroupSizeForCore(variant));
        // The kernel's own launch bound: CUDA reports it through the driver anyway, the other backends would run it.
        return variant.MaxGroupSize > 0 ? Math.Min(limit, variant.MaxGroupSize) : limit;
    }

    /// <summary>
    /// Creates an additional stream (a CUDA stream, an OpenCL command queue) for work that may overlap with the
    /// default stream's. Dispose it when done; the accelerator disposes any left over.
    /// </summary>
    public AcceleratorStream CreateStream()
    {
        ThrowIfDisposed();
        AcceleratorStream stream = CreateStreamCore();
        lock (_streams) _streams.Add(stream);
        return stream;
    }

    /// <summary>Frees every buffer and stream this accelerator still owns and releases the device.</summary>
    public void Dispose()
    {
        if (Interlocked.CompareExchange(ref _state, Disposing, Alive) != Alive) return;
        try
        {
            AcceleratorStream[] streams;
            lock (_streams) streams = [.. _streams];
            // Release everything even when the device is in an error state (a faulted CUDA context fails every
            // call): the driver reclaims what a failed release leaves when the context itself goes.
            foreach (AcceleratorStream stream in streams) ReleaseQuietly(stream.Dispose);
            foreach (IDeviceAllocation allocation in _allocations.Values) ReleaseQuietly(allocation.Dispose);
            DisposeCore();
        }
        finally
        {
            Volatile.Write(ref _state, Disposed);
            GC.SuppressFinalize(this);
        }
    }

    /// <inheritdoc/>
    public override string ToString() => $"{Kind}: {Name}";

    private static void ReleaseQuietly(Action release)
    {
        try
        {
            release();
        }
        catch (AcceleratorException)
        {
        }
    }

    // ---- services for buffers, streams and the validator ----

    internal void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(IsDisposed, this);

    /// <summary>True while the accelerator can still free memory (alive, or disposing its buffers).</summary>
    internal bool CanRelease => Volatile.Read(ref _state) != Disposed;

    internal void Track(IDeviceAllocation allocation)
    {
        if (allocation.Handle != 0) _allocations[allocation.Handle] = allocation;
    }

    internal void Untrack(IDeviceAllocation allocation)
    {
        if (allocation.Handle != 0) _allocations.TryRemove(allocation.Handle, out _);
    }

    /// <summary>The size of the live allocation whose handle is <paramref name="handle"/>, or -1.</summary>
    internal long AllocationBytes(nint handle) => _allocations.TryGetValue(handle, out IDeviceAllocation? a) ? a.LengthInBytes : -1;

    /// <summary>The streams created by <see cref="CreateStream"/> and not yet disposed.</summary>
    internal AcceleratorStream[] CreatedStreams()
    {
        lock (_streams) return [.. _streams];
    }

    internal void OnStreamDisposed(AcceleratorStream stream)
    {
        lock (_streams) _streams.Remove(stream);
    }

    internal void LaunchOn(AcceleratorStream stream, KernelVariant variant, LaunchDimensions dims, ReadOnlySpan<KernelArgument> arguments)
    {
        ThrowIfDisposed();
        LaunchValidator.Validate(this, variant, dims, arguments);
        ValidateLaunch(variant, dims);
        LaunchCore(stream, variant, dims, arguments);
    }

    // ---- backend hooks (only this assembly's backends derive from Accelerator) ----

    /// <summary>Allocates <paramref name="bytes"/> (&gt; 0) and returns the handle.</summary>
    private protected abstract nint AllocateCore(long bytes);

    /// <summary>Frees an allocation made by <see cref="AllocateCore"/>.</summary>
    private protected abstract void FreeCore(nint handle);

    /// <summary>Copies host memory into an allocation (ordered after the default stream's work; returns when done).</summary>
    private protected abstract unsafe void CopyToDeviceCore(nint handle, long byteOffset, void* source, long bytes);

    /// <summary>Copies an allocation into host memory (ordered after the default stream's work; returns when done).</summary>
    private protected abstract unsafe void CopyFromDeviceCore(nint handle, long byteOffset, void* destination, long bytes);

    /// <summary>Repeats a pattern over a byte range (ordered before later launches and copies).</summary>
    private protected abstract unsafe void FillCore(nint handle, long byteOffset, long bytes, void* pattern, int patternSize);

    /// <summary>Waits for all streams.</summary>
    private protected abstract void SynchronizeCore();

    /// <summary>Creates a non-default stream.</summary>
    private protected abstract AcceleratorStream CreateStreamCore();

    /// <summary>Backend-specific checks (support for the variant, per-axis limits), run after the common ones.</summary>
    private protected virtual void ValidateLaunch(KernelVariant variant, LaunchDimensions dims) { }

    /// <summary>The per-kernel group limit behind <see cref="MaxGroupSizeFor"/> (the device's unless the backend knows better).</summary>
    private protected virtual int MaxGroupSizeForCore(KernelVariant variant) => MaxGroupSize;

    /// <summary>Launches an already validated variant on <paramref name="stream"/>.</summary>
    private protected abstract void LaunchCore(AcceleratorStream stream, KernelVariant variant, LaunchDimensions dims, ReadOnlySpan<KernelArgument> arguments);

    /// <summary>Releases modules, queues and the device context (buffers and streams are already gone).</summary>
    private protected abstract void DisposeCore();

    /// <summary>Copies host memory into an allocation, enqueued on <paramref name="stream"/> (the source is staged first; see <see cref="HostStaging"/>).</summary>
    private protected abstract unsafe void CopyToDeviceAsyncCore(AcceleratorStream stream, nint handle, long byteOffset, void* stagedSource, long bytes);

    /// <summary>Copies an allocation into host memory after the work enqueued on <paramref name="stream"/>; returns when done.</summary>
    private protected abstract unsafe void CopyFromDeviceOnCore(AcceleratorStream stream, nint handle, long byteOffset, void* destination, long bytes);

    /// <summary>Whether uploads on a stream go through host staging (false where a launch finishes before it returns: the copy can be made at once).</summary>
    private protected virtual bool StagesUploads => true;

    /// <summary>Allocates host memory to stage uploads in (the CUDA backend pins it).</summary>
    private protected virtual unsafe nint AllocateStagingCore(long bytes) => (nint)NativeMemory.AlignedAlloc((nuint)bytes, 64);

    /// <summary>Frees memory from <see cref="AllocateStagingCore"/>.</summary>
    private protected virtual unsafe void FreeStagingCore(nint pointer) => NativeMemory.AlignedFree((void*)pointer);

    internal nint AllocateBytes(long bytes)
    {
        nint handle = AllocateCore(bytes);
        Interlocked.Increment(ref _allocationCount);
        return handle;
    }

    internal nint AllocateStaging(long bytes) => AllocateStagingCore(bytes);

    internal void FreeStaging(nint pointer) => FreeStagingCore(pointer);

    internal unsafe void CopyToDevice(AcceleratorStream stream, nint handle, long byteOffset, void* source, long bytes)
    {
        CheckStream(stream);
        if (!StagesUploads)
        {
            CopyToDeviceAsyncCore(stream, handle, byteOffset, source, bytes);
            return;
        }
        stream.Staging.Upload(source, bytes, staged => CopyToDeviceAsyncCore(stream, handle, byteOffset, (void*)staged, bytes));
    }

    internal unsafe void CopyFromDevice(AcceleratorStream stream, nint handle, long byteOffset, void* destination, long bytes)
    {
        CheckStream(stream);
        CopyFromDeviceOnCore(stream, handle, byteOffset, destination, bytes);
    }

    private void CheckStream(AcceleratorStream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        if (stream.Accelerator != this)
            throw new ArgumentException($"The stream belongs to {stream.Accelerator}, not to {this}.", nameof(stream));
    }

    internal void FreeBytes(nint handle) => FreeCore(handle);

    internal unsafe void CopyToDevice(nint handle, long byteOffset, void* source, long bytes) => CopyToDeviceCore(handle, byteOffset, source, bytes);

    internal unsafe void CopyFromDevice(nint handle, long byteOffset, void* destination, long bytes) => CopyFromDeviceCore(handle, byteOffset, destination, bytes);

    internal unsafe void FillBytes(nint handle, long byteOffset, long bytes, void* pattern, int patternSize) => FillCore(handle, byteOffset, bytes, pattern, patternSize);

    /// <summary>
    /// Fills by writing a host buffer of repeated patterns chunk by chunk: the fallback for pattern sizes the
    /// driver's own fill does not take.
    /// </summary>
    private protected unsafe void FillByCopying(nint handle, long byteOffset, long bytes, void* pattern, int patternSize)
    {
        const int ChunkTarget = 1 << 20;
        int patternsPerChunk = Math.Max(1, ChunkTarget / patternSize);
        long chunkBytes = Math.Min(bytes, (long)patternsPerChunk * patternSize);
        byte[] chunk = new byte[chunkBytes];
        var source = new ReadOnlySpan<byte>(pattern, patternSize);
        for (int i = 0; i + patternSize <= chunk.Length; i += patternSize) source.CopyTo(chunk.AsSpan(i));
        fixed (byte* c = chunk)
        {
            for (long done = 0; done < bytes; done += chunkBytes)
                CopyToDeviceCore(handle, byteOffset + done, c, Math.Min(chunkBytes, bytes - done));
        }
    }
}
