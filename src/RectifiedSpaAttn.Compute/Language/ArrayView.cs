using System.Runtime.CompilerServices;

namespace RectifiedSpaAttn.Compute;

/// <summary>
/// A typed view of a contiguous range of device memory: the kernel language's only way to reach global or
/// shared memory. Inside a kernel, indexing compiles to a load or store in the view's address space (global
/// for kernel parameters, shared for <see cref="SharedMemory"/> views). On the host it is an opaque handle
/// (a device pointer for CUDA, a <c>cl_mem</c> plus offset for OpenCL, a host address for the CPU accelerator).
/// </summary>
/// <typeparam name="T">An unmanaged element type.</typeparam>
public readonly unsafe struct ArrayView<T> where T : unmanaged
{
    /// <summary>Creates a view from its raw parts; used by accelerators and generated code.</summary>
    /// <param name="handle">Backend handle: device address (CUDA), <c>cl_mem</c> (OpenCL) or host address (CPU).</param>
    /// <param name="offset">Offset of the first element from <paramref name="handle"/>, in elements.</param>
    /// <param name="length">Number of elements.</param>
    public ArrayView(nint handle, long offset, long length)
    {
        Handle = handle;
        Offset = offset;
        Length = length;
    }

    /// <summary>Backend handle of the underlying allocation.</summary>
    public nint Handle { get; }

    /// <summary>Offset of the first element from <see cref="Handle"/>, in elements.</summary>
    public long Offset { get; }

    /// <summary>Number of elements.</summary>
    public long Length { get; }

    /// <summary>Size of the view in bytes.</summary>
    public long LengthInBytes => Length * sizeof(T);

    /// <summary>
    /// The element at <paramref name="index"/>. Inside kernels this is a device load/store (no bounds check, as
    /// on the GPU). On the host it is valid only for views of host memory (the CPU accelerator).
    /// </summary>
    public ref T this[int index]
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => ref ((T*)Handle)[Offset + index];
    }

    /// <inheritdoc cref="this[int]"/>
    public ref T this[long index]
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => ref ((T*)Handle)[Offset + index];
    }

    /// <summary>A view of <paramref name="length"/> elements starting at <paramref name="start"/>.</summary>
    public ArrayView<T> SubView(long start, long length)
    {
        if (start < 0 || length < 0 || start + length > Length)
            throw new ArgumentOutOfRangeException(nameof(start), $"SubView({start}, {length}) is outside a view of {Length} elements.");
        return new ArrayView<T>(Handle, Offset + start, length);
    }

    /// <summary>
    /// The same bytes seen as elements of <typeparamref name="TOther"/>. The view's byte offset and length must be
    /// multiples of the new element size.
    /// </summary>
    public ArrayView<TOther> Cast<TOther>() where TOther : unmanaged
    {
        long byteOffset = Offset * sizeof(T), byteLength = Length * sizeof(T);
        if (byteOffset % sizeof(TOther) != 0 || byteLength % sizeof(TOther) != 0)
            throw new ArgumentException($"A view of {Length} {typeof(T).Name} at offset {Offset} cannot be cast to {typeof(TOther).Name}.");
        return new ArrayView<TOther>(Handle, byteOffset / sizeof(TOther), byteLength / sizeof(TOther));
    }
}
