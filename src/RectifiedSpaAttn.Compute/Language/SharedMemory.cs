namespace RectifiedSpaAttn.Compute;

/// <summary>Group-shared memory (<c>.shared</c> in PTX, <c>__local</c> in OpenCL C).</summary>
public static class SharedMemory
{
    /// <summary>
    /// A statically sized shared array; <paramref name="length"/> must be a compile-time constant (after
    /// specialisation). Each call site is its own allocation, shared by the whole group for the kernel's lifetime.
    /// </summary>
    public static ArrayView<T> Allocate<T>(int length) where T : unmanaged => throw new KernelOnlyException("SharedMemory.Allocate");

    /// <summary>
    /// The dynamic shared memory of the launch (its size is given at launch time), as elements of <typeparamref name="T"/>,
    /// starting after all static allocations (16-byte aligned).
    /// </summary>
    public static ArrayView<T> GetDynamic<T>() where T : unmanaged => throw new KernelOnlyException("SharedMemory.GetDynamic");
}
