using RectifiedSpaAttn.Compute;

namespace RectifiedSpaAttn.Kernels.Corpus;

/// <summary>
/// Corpus: named barriers in FlashAttention-3's ping-pong pattern. The group's two halves (teams of
/// <see cref="TeamThreads"/> threads, two warps each) take turns: team a waits on barrier <c>1 + a</c>, takes its turn,
/// then arrives at the other team's barrier; team 1 arrives once at team 0's barrier first, so team 0 goes first.
/// OpenCL C has no named barriers, so OpenCL refuses this kernel; PTX runs it on every target.
/// </summary>
internal static partial class NamedBarrierKernels
{
    /// <summary>Threads per team; the group is two teams.</summary>
    public const int TeamThreads = 64;

    /// <summary>
    /// Each of <paramref name="rounds"/> turns of each team: every thread of the team draws a ticket from the group's
    /// shared counter and writes <c>1000 * round + team</c> at <c>log[g * 2 * rounds * TeamThreads + ticket]</c>, so with
    /// strict alternation tickets <c>[64 i, 64 i + 64)</c> all belong to team <c>i % 2</c>, round <c>i / 2</c>.
    /// Group 128 threads; grid (groups).
    /// </summary>
    [Kernel]
    public static void TakeTurns(ArrayView<int> log, int rounds)
    {
        ArrayView<int> counter = SharedMemory.Allocate<int>(1);
        int team = Group.LinearIndex / TeamThreads;
        if (Group.LinearIndex == 0) counter[0] = 0;
        Group.Barrier();
        long logBase = (long)Grid.IdxX * 2 * rounds * TeamThreads;
        // Team 1's arrival completes, with team 0's own, the first phase of team 0's barrier.
        if (team == 1) NamedBarrier.Arrive(1, 2 * TeamThreads);
        for (int round = 0; round < rounds; round++)
        {
            NamedBarrier.Sync(1 + team, 2 * TeamThreads);
            int ticket = Atomic.Add(ref counter[0], 1);
            log[logBase + ticket] = 1000 * round + team;
            NamedBarrier.Arrive(1 + (1 - team), 2 * TeamThreads);
        }
        // Team 1's last arrival at team 0's barrier is never waited for: a phase left half full at the end is fine.
    }
}
