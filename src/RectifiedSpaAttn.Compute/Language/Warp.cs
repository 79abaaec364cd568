namespace RectifiedSpaAttn.Compute;

/// <summary>
/// The 32-lane warp: lane indices and warp-collective operations. Warp collectives must be executed by all 32
/// lanes of the warp (warp-uniform control flow; group sizes are multiples of 32 in kernels that use them).
/// Shuffles take <see cref="int"/>, <see cref="uint"/> or <see cref="float"/> values.
/// </summary>
public static class Warp
{
    /// <summary>Lanes in a warp; always 32 on every backend (the CPU and OpenCL backends emulate it).</summary>
    public const int Size = 32;

    /// <summary>Index of the current thread within its warp (0..31).</summary>
    public static int LaneIdx => throw new KernelOnlyException("Warp.LaneIdx");

    /// <summary>Index of the current warp within its group: <c>Group.LinearIndex / 32</c>.</summary>
    public static int WarpIdx => throw new KernelOnlyException("Warp.WarpIdx");

    /// <summary>The value held by lane <paramref name="sourceLane"/> (<c>shfl.sync.idx</c>).</summary>
    public static T Shuffle<T>(T value, int sourceLane) where T : unmanaged => throw new KernelOnlyException("Warp.Shuffle");

    /// <summary>The value held by lane <c>LaneIdx ^ laneMask</c> (<c>shfl.sync.bfly</c>).</summary>
    public static T ShuffleXor<T>(T value, int laneMask) where T : unmanaged => throw new KernelOnlyException("Warp.ShuffleXor");

    /// <summary>The value held by lane <c>LaneIdx + delta</c>, or the own value past lane 31 (<c>shfl.sync.down</c>).</summary>
    public static T ShuffleDown<T>(T value, int delta) where T : unmanaged => throw new KernelOnlyException("Warp.ShuffleDown");

    /// <summary>Sum of <paramref name="value"/> over the 32 lanes, returned to every lane (butterfly order).</summary>
    public static T Sum<T>(T value) where T : unmanaged => throw new KernelOnlyException("Warp.Sum");

    /// <summary>Maximum of <paramref name="value"/> over the 32 lanes, returned to every lane.</summary>
    public static T Max<T>(T value) where T : unmanaged => throw new KernelOnlyException("Warp.Max");

    /// <summary>Waits until all lanes of the warp reach this point (<c>bar.warp.sync</c>).</summary>
    public static void Barrier() => throw new KernelOnlyException("Warp.Barrier");
}
