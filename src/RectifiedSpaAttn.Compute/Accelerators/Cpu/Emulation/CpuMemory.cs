using System.ComponentModel;
using System.Runtime.CompilerServices;

namespace RectifiedSpaAttn.Compute.Emulation;

/// <summary>
/// Memory access for kernels compiled to C# by the CPU backend. For generated code only.
/// </summary>
/// <remarks>
/// Every access names its root (a buffer argument's element 0, a static shared allocation's start, or the dynamic
/// shared memory) with the root's size in bytes, the view's byte offset from the root and the element index. The
/// access is checked against the root's extent: on a GPU a stray index is undefined behaviour that may go unnoticed,
/// on the host it would corrupt the process, so the CPU backend reports it instead. The pointer work lives here so
/// that generated iterators (threads of kernels with barriers), which cannot hold pointers across a yield, deal in
/// plain integers only.
/// </remarks>
[EditorBrowsable(EditorBrowsableState.Never)]
public static unsafe class CpuMemory
{
    /// <summary>Reads element <paramref name="index"/> of a view that starts <paramref name="byteOffset"/> bytes into its root.</summary>
    /// <param name="root">Host address of the root's first byte.</param>
    /// <param name="rootBytes">Size of the root in bytes.</param>
    /// <param name="byteOffset">The view's offset from the root, in bytes.</param>
    /// <param name="index">Element index within the view.</param>
    /// <param name="rootName">The root's name, for the out-of-bounds message.</param>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T Load<T>(nint root, long rootBytes, long byteOffset, long index, string rootName) where T : unmanaged
        => *(T*)Address(root, rootBytes, byteOffset, index, sizeof(T), sizeof(T), rootName);

    /// <summary>Writes element <paramref name="index"/> of a view (see <see cref="Load{T}"/> for the parameters).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store<T>(nint root, long rootBytes, long byteOffset, long index, string rootName, T value) where T : unmanaged
        => *(T*)Address(root, rootBytes, byteOffset, index, sizeof(T), sizeof(T), rootName) = value;

    /// <summary>Atomically adds to an int element and returns its previous value.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int AtomicAdd(nint root, long rootBytes, long byteOffset, long index, string rootName, int value)
    {
        int* p = (int*)Address(root, rootBytes, byteOffset, index, sizeof(int), sizeof(int), rootName);
        return Interlocked.Add(ref *p, value) - value;
    }

    /// <summary>Atomically adds to a uint element and returns its previous value.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static uint AtomicAdd(nint root, long rootBytes, long byteOffset, long index, string rootName, uint value)
    {
        uint* p = (uint*)Address(root, rootBytes, byteOffset, index, sizeof(uint), sizeof(uint), rootName);
        return Interlocked.Add(ref *p, value) - value;
    }

    /// <summary>Atomically adds to a float element (compare-and-swap loop on its bits) and returns its previous value.</summary>
    public static float AtomicAdd(nint root, long rootBytes, long byteOffset, long index, string rootName, float value)
    {
        int* p = (int*)Address(root, rootBytes, byteOffset, index, sizeof(float), sizeof(float), rootName);
        int seen = Volatile.Read(ref *p);
        while (true)
        {
            float old = BitConverter.Int32BitsToSingle(seen);
            int replacement = BitConverter.SingleToInt32Bits(old + value);
            int found = Interlocked.CompareExchange(ref *p, replacement, seen);
            if (found == seen) return old;
            seen = found;
        }
    }

    /// <summary>Atomically stores the maximum of an int element and <paramref name="value"/>; returns the previous value.</summary>
    public static int AtomicMax(nint root, long rootBytes, long byteOffset, long index, string rootName, int value)
    {
        int* p = (int*)Address(root, rootBytes, byteOffset, index, sizeof(int), sizeof(int), rootName);
        int seen = Volatile.Read(ref *p);
        while (seen < value)
        {
            int found = Interlocked.CompareExchange(ref *p, value, seen);
            if (found == seen) return seen;
            seen = found;
        }
        return seen;
    }

    /// <summary>Atomically replaces an int element by <paramref name="value"/>; returns the previous value.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int AtomicExchange(nint root, long rootBytes, long byteOffset, long index, string rootName, int value)
    {
        int* p = (int*)Address(root, rootBytes, byteOffset, index, sizeof(int), sizeof(int), rootName);
        return Interlocked.Exchange(ref *p, value);
    }

    /// <summary>Atomically replaces an int element by <paramref name="value"/> when it equals <paramref name="comparand"/>; returns the previous value.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int AtomicCompareExchange(nint root, long rootBytes, long byteOffset, long index, string rootName, int value, int comparand)
    {
        int* p = (int*)Address(root, rootBytes, byteOffset, index, sizeof(int), sizeof(int), rootName);
        return Interlocked.CompareExchange(ref *p, value, comparand);
    }

    /// <summary>Loads 16 bytes (four words) starting at element <paramref name="index"/>; the address must be 16-byte aligned, as on the GPU.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Load16<T>(nint root, long rootBytes, long byteOffset, long index, string rootName,
        out uint x, out uint y, out uint z, out uint w) where T : unmanaged
    {
        uint* p = (uint*)Address(root, rootBytes, byteOffset, index, sizeof(T), 16, rootName);
        CheckAligned16((nint)p, rootName);
        x = p[0];
        y = p[1];
        z = p[2];
        w = p[3];
    }

    /// <summary>Stores 16 bytes (four words) starting at element <paramref name="index"/>; the address must be 16-byte aligned.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store16<T>(nint root, long rootBytes, long byteOffset, long index, string rootName,
        uint x, uint y, uint z, uint w) where T : unmanaged
    {
        uint* p = (uint*)Address(root, rootBytes, byteOffset, index, sizeof(T), 16, rootName);
        CheckAligned16((nint)p, rootName);
        p[0] = x;
        p[1] = y;
        p[2] = z;
        p[3] = w;
    }

    /// <summary>
    /// <c>cp.async</c> of 16 bytes, done at once: the data is then visible no later than the GPU would make it
    /// (after the matching wait and a barrier). Both addresses must be 16-byte aligned.
    /// </summary>
    public static void Copy16<T>(
        nint destinationRoot, long destinationRootBytes, long destinationByteOffset, long destinationIndex, string destinationName,
        nint sourceRoot, long sourceRootBytes, long sourceByteOffset, long sourceIndex, string sourceName) where T : unmanaged
    {
        nint d = Address(destinationRoot, destinationRootBytes, destinationByteOffset, destinationIndex, sizeof(T), 16, destinationName);
        nint s = Address(sourceRoot, sourceRootBytes, sourceByteOffset, sourceIndex, sizeof(T), 16, sourceName);
        CheckAligned16(d, destinationName);
        CheckAligned16(s, sourceName);
        Buffer.MemoryCopy((void*)s, (void*)d, 16, 16);
    }

    /// <summary>
    /// The address of <paramref name="accessBytes"/> bytes at element <paramref name="index"/> (of
    /// <paramref name="elementSize"/> bytes) of a view, after checking they lie inside the root.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static nint Address(nint root, long rootBytes, long byteOffset, long index, int elementSize, int accessBytes, string rootName)
    {
        long at = byteOffset + index * elementSize;
        // One unsigned comparison rejects negative positions too.
        if ((ulong)at > (ulong)(rootBytes - accessBytes) || rootBytes < accessBytes)
            ThrowOutOfBounds(rootName, rootBytes, at, accessBytes);
        return root + (nint)at;
    }

    private static void CheckAligned16(nint address, string rootName)
    {
        if ((address & 15) != 0) ThrowMisaligned(rootName, address);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowOutOfBounds(string rootName, long rootBytes, long at, int accessBytes)
        => throw new IndexOutOfRangeException(
            $"Out-of-bounds access: {accessBytes} bytes at byte {at} of '{rootName}', which has {rootBytes} bytes (the GPU would read or write outside the allocation).");

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowMisaligned(string rootName, nint address)
        => throw new InvalidOperationException(
            $"Misaligned 16-byte access to '{rootName}' at address 0x{address:X} (the GPU requires 16-byte alignment).");
}
