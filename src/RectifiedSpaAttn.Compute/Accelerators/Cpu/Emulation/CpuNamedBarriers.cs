using System.ComponentModel;

namespace RectifiedSpaAttn.Compute.Emulation;

/// <summary>
/// The named barriers 1-15 of one emulated group (<c>bar.sync</c> / <c>bar.arrive</c> with a thread count): per barrier
/// the threads arrived in the current phase, the count that completes it, and how many phases have completed. The
/// hardware counts a warp as 32 arrivals at once; here each of its threads arrives by itself, right after the warp's
/// lanes met at a warp site, so a warp's arrivals follow each other and a phase (a multiple of 32) never splits a warp.
/// For generated code only.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public sealed class CpuNamedBarriers
{
    private const int Count = NamedBarrier.MaxId + 1;

    private readonly string _kernelName;
    private readonly int _groupThreads;
    private readonly int[] _arrived = new int[Count];
    private readonly int[] _expected = new int[Count];
    private readonly int[] _completed = new int[Count];

    /// <summary>The barriers of a group of <paramref name="groupThreads"/> threads of kernel <paramref name="kernelName"/>.</summary>
    public CpuNamedBarriers(string kernelName, int groupThreads)
    {
        _kernelName = kernelName;
        _groupThreads = groupThreads;
    }

    /// <summary>
    /// One thread arrives at barrier <paramref name="id"/> whose phases complete at <paramref name="threads"/> threads;
    /// returns the number of the phase it arrived in, for <see cref="Completed"/>.
    /// </summary>
    /// <exception cref="InvalidOperationException">A bad id or count, or a count that differs from the phase's.</exception>
    public int Arrive(int id, int threads)
    {
        if (id < 1 || id > NamedBarrier.MaxId)
            throw new InvalidOperationException($"{_kernelName}: named barrier {id}: the ids are 1 to {NamedBarrier.MaxId} (0 is Group.Barrier's).");
        if (threads < 32 || threads % 32 != 0 || threads > _groupThreads)
            throw new InvalidOperationException(
                $"{_kernelName}: named barrier {id} with a count of {threads} threads: give a multiple of 32 no larger than the group ({_groupThreads} threads).");
        if (_arrived[id] == 0) _expected[id] = threads;
        else if (_expected[id] != threads)
            throw new InvalidOperationException(
                $"{_kernelName}: named barrier {id}: an arrival counts to {threads} threads in a phase that others count to {_expected[id]}.");
        int phase = _completed[id];
        if (++_arrived[id] == threads)
        {
            _arrived[id] = 0;
            _completed[id]++;
        }
        return phase;
    }

    /// <summary>Whether phase <paramref name="phase"/> of barrier <paramref name="id"/> (from <see cref="Arrive"/>) has completed.</summary>
    public bool Completed(int id, int phase) => _completed[id] != phase;
}
