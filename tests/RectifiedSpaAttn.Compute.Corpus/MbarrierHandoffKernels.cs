using RectifiedSpaAttn.Compute;

namespace RectifiedSpaAttn.Kernels.Corpus;

/// <summary>
/// Corpus: a value handed from one thread to the rest of the group, ordered only by mbarrier phases, as the Hopper
/// attention kernel's producer hands its stage notes to the consumers: through plain shared-memory stores and loads
/// (<see cref="HandOff"/>) and through atomics (<see cref="HandOffAtomic"/>, the kernel's way now).
/// Thread 0 writes a slot, then arrives at the "full" barrier (a release); every other warp waits for that phase (an
/// acquire), reads the slot, and arrives at the "empty" barrier once its lanes are done, which thread 0 waits for
/// before it writes the next round's value. Both are race-free by the PTX memory model; they exist so that
/// compute-sanitizer's racecheck can be asked about the pattern alone on the GPU.
/// </summary>
internal static partial class MbarrierHandoffKernels
{
    /// <summary>Threads per group: the writer's warp and <see cref="ReaderWarps"/> reading warps.</summary>
    public const int GroupThreads = 256;

    /// <summary>Warps that read each round's value.</summary>
    public const int ReaderWarps = GroupThreads / 32 - 1;

    /// <summary>Dynamic shared memory: the two barriers, then the slot.</summary>
    public const int SharedBytes = 2 * 8 + 4;

    /// <summary>
    /// <paramref name="rounds"/> rounds: thread 0 writes <c>1000 * g + round + 1</c> to the slot; lane l of reading warp w
    /// (1 to <see cref="ReaderWarps"/>) stores what it read at <c>log[((g * rounds + round) * ReaderWarps + w - 1) * 32 + l]</c>.
    /// Group <see cref="GroupThreads"/>; grid (groups).
    /// </summary>
    [Kernel]
    [RequiresHopper]
    public static void HandOff(ArrayView<int> log, int rounds)
    {
        KernelHint.LaunchBounds(GroupThreads, 1);
        ArrayView<ulong> bars = SharedMemory.GetDynamic<ulong>();
        ArrayView<int> slot = SharedMemory.GetDynamic<int>();
        const int full = 0, empty = 1, value = 4;
        if (Group.LinearIndex == 0)
        {
            Mbarrier.Init(bars, full, 1);
            Mbarrier.Init(bars, empty, ReaderWarps);
            BulkTensor.FenceProxyAsync();
        }
        Group.Barrier();
        int warp = Group.LinearIndex / 32;
        for (int round = 0; round < rounds; round++)
        {
            if (warp == 0)
            {
                if (Group.LinearIndex == 0)
                {
                    // The slot is free once every reading warp arrived for the previous round (the first wait returns at once).
                    Mbarrier.Wait(bars, empty, (round & 1) ^ 1);
                    slot[value] = 1000 * Grid.IdxX + round + 1;
                    Mbarrier.Arrive(bars, full);
                }
            }
            else
            {
                Mbarrier.Wait(bars, full, round & 1);
                int seen = slot[value];
                log[((long)(Grid.IdxX * rounds + round) * ReaderWarps + warp - 1) * 32 + Warp.LaneIdx] = seen;
                Warp.Barrier();
                if (Warp.LaneIdx == 0) Mbarrier.Arrive(bars, empty);
            }
        }
    }

    /// <summary>
    /// <see cref="HandOff"/> with the slot written and read by shared-memory atomics (the writer's exchange, each
    /// warp's lane 0 adding 0 and passing what it read to its lanes by shuffle), the same mbarrier phases ordering
    /// them. racecheck leaves atomic accesses out: on the H100 it reports no hazard here and one in <see cref="HandOff"/>,
    /// which is why the attention kernel's notes go this way. Same contract as <see cref="HandOff"/>.
    /// </summary>
    [Kernel]
    [RequiresHopper]
    public static void HandOffAtomic(ArrayView<int> log, int rounds)
    {
        KernelHint.LaunchBounds(GroupThreads, 1);
        ArrayView<ulong> bars = SharedMemory.GetDynamic<ulong>();
        ArrayView<int> slot = SharedMemory.GetDynamic<int>();
        const int full = 0, empty = 1, value = 4;
        if (Group.LinearIndex == 0)
        {
            Mbarrier.Init(bars, full, 1);
            Mbarrier.Init(bars, empty, ReaderWarps);
            slot[value] = 0;
            BulkTensor.FenceProxyAsync();
        }
        Group.Barrier();
        int warp = Group.LinearIndex / 32;
        for (int round = 0; round < rounds; round++)
        {
            if (warp == 0)
            {
                if (Group.LinearIndex == 0)
                {
                    Mbarrier.Wait(bars, empty, (round & 1) ^ 1);
                    Atomic.Exchange(ref slot[value], 1000 * Grid.IdxX + round + 1);
                    Mbarrier.Arrive(bars, full);
                }
            }
            else
            {
                Mbarrier.Wait(bars, full, round & 1);
                int read = 0;
                if (Warp.LaneIdx == 0) read = Atomic.Add(ref slot[value], 0);
                int seen = Warp.Shuffle(read, 0);
                log[((long)(Grid.IdxX * rounds + round) * ReaderWarps + warp - 1) * 32 + Warp.LaneIdx] = seen;
                Warp.Barrier();
                if (Warp.LaneIdx == 0) Mbarrier.Arrive(bars, empty);
            }
        }
    }
}
