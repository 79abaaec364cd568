namespace RectifiedSpaAttn.Compute;

/// <summary>
/// The group's hardware barriers 1 to 15 with a thread count (<c>bar.sync</c> / <c>bar.arrive</c>): a subset of the
/// group's warps synchronises, or one set of warps signals another without waiting (producer/consumer hand-offs,
/// FlashAttention-3's ping-pong between consumer warpgroups). Barrier 0 is <see cref="Group.Barrier"/>'s (all threads
/// of the group); user code names barriers 1 to 15.
/// </summary>
/// <remarks>
/// <para>Each barrier counts arrivals, one warp at a time: a warp that executes <see cref="Sync"/> or <see cref="Arrive"/>
/// adds 32 to the count of the barrier's current phase. When the count reaches <c>threads</c> the phase completes: every
/// warp that waits in <see cref="Sync"/> on that phase goes on, and the count starts again from zero for the next phase.
/// Every arrival of one phase must give the same <c>threads</c>, a multiple of 32 no larger than the group.
/// <see cref="Sync"/> orders memory like <see cref="Group.Barrier"/> among the threads that took part in the phase:
/// what a thread wrote before its <see cref="Arrive"/> or <see cref="Sync"/> is visible to the threads that return
/// from that phase's <see cref="Sync"/>.</para>
/// <para>All 32 lanes of a warp execute the call together (warp-uniform control flow, like the warp collectives);
/// the id and the count must be the same in all of them. Both may be values computed at run time (e.g.
/// <c>1 + Warpgroup.Index</c>); a constant id outside 1-15 or a constant count that is not a multiple of 32 from 32 to
/// 1024 is build error RSA0001. An arrival nobody waits for is harmless: a group may end with a phase half full.</para>
/// <para>Backends: PTX on every target (<c>sm_80</c> and <c>sm_90a</c>). OpenCL C has no named barriers: a kernel that
/// uses them is built without an OpenCL program, and OpenCL devices refuse its variants with the reason (see
/// <see cref="KernelVariant.OpenCLUnsupportedReason"/>). The CPU emulation keeps each barrier's count and phase per
/// group, counting threads (32 per warp), checks the id, the count and that a phase's arrivals agree on it, and reports
/// a group whose threads all wait on phases that can never complete as a <c>CpuDivergenceException</c>.</para>
/// </remarks>
public static class NamedBarrier
{
    /// <summary>The highest barrier id; 0 is <see cref="Group.Barrier"/>'s, so kernels use 1 to <see cref="MaxId"/>.</summary>
    public const int MaxId = 15;

    /// <summary>
    /// <c>bar.sync id, threads</c>: the calling warp arrives at barrier <paramref name="id"/> and waits until the phase it
    /// arrived in completes, i.e. until <paramref name="threads"/> threads (counted per warp, 32 each) have arrived
    /// through <see cref="Sync"/> or <see cref="Arrive"/>.
    /// </summary>
    /// <param name="id">The barrier, 1 to 15.</param>
    /// <param name="threads">Threads that complete a phase: a multiple of 32, at most the group's size.</param>
    public static void Sync(int id, int threads) => throw new KernelOnlyException("NamedBarrier.Sync");

    /// <summary>
    /// <c>bar.arrive id, threads</c>: the calling warp arrives at barrier <paramref name="id"/> (32 threads towards the
    /// current phase's <paramref name="threads"/>) and goes on without waiting.
    /// </summary>
    /// <param name="id">The barrier, 1 to 15.</param>
    /// <param name="threads">Threads that complete a phase: a multiple of 32, at most the group's size.</param>
    public static void Arrive(int id, int threads) => throw new KernelOnlyException("NamedBarrier.Arrive");
}
