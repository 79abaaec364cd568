using System.ComponentModel;

namespace RectifiedSpaAttn.Compute.Emulation;

/// <summary>Which threads a synchronisation point waits for. For generated code only.</summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public enum CpuSyncKind
{
    /// <summary>Every thread of the group (<c>Group.Barrier</c>).</summary>
    GroupBarrier,
    /// <summary>The 32 lanes of the thread's warp (warp barrier, shuffle, mma, ldmatrix).</summary>
    Warp,
    /// <summary>
    /// A wait for a condition other threads make true (<c>Mbarrier.Wait</c>, <c>NamedBarrier.Sync</c>): the thread polls again whenever another
    /// thread made progress. It yields the site's index on its first failed poll and the index plus
    /// <see cref="CpuGroupScheduler.RepollFlag"/> on later ones, which tells the scheduler it did nothing.
    /// </summary>
    Poll,
}

/// <summary>
/// One synchronisation point of a kernel compiled for the CPU: the generated thread iterators yield the site's index
/// in the kernel's site table each time they reach it. For generated code only.
/// </summary>
/// <param name="Kind">Whether the group or the warp synchronises here.</param>
/// <param name="Description">What the site is, for error messages (e.g. <c>shuffle.xor #3</c>).</param>
[EditorBrowsable(EditorBrowsableState.Never)]
public readonly record struct CpuSyncSite(CpuSyncKind Kind, string Description);
