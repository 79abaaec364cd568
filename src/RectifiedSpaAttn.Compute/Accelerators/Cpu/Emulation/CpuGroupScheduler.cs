using System.ComponentModel;
using System.Text;

namespace RectifiedSpaAttn.Compute.Emulation;

/// <summary>
/// Runs the threads of one group of a kernel that synchronises (barriers, warp collectives) on one host thread.
/// Each kernel thread is an iterator that yields the index of the synchronisation site it has reached. For
/// generated code only.
/// </summary>
/// <remarks>
/// Rounds: every runnable thread runs, in ascending thread order, to its next yield (or its end). Then every warp
/// whose live lanes all wait at the same warp site proceeds; if none does and every thread of the group waits at
/// the same group barrier, the whole group proceeds. Anything else (a barrier some threads never reach because
/// they returned or wait elsewhere, lanes of a warp at different collectives) can never make progress and is
/// reported as a <see cref="CpuDivergenceException"/> naming the kernel and who waits where.
/// </remarks>
[EditorBrowsable(EditorBrowsableState.Never)]
public sealed class CpuGroupScheduler
{
    private const int Runnable = -1;
    private const int Finished = -2;

    /// <summary>Added to a poll site's index when a thread yields it again without having done anything else.</summary>
    public const int RepollFlag = 0x4000_0000;

    private readonly string _kernelName;
    private readonly CpuSyncSite[] _sites;
    private readonly IEnumerator<int>?[] _threads;
    private readonly int[] _waits;
    private readonly CpuWarp[] _warps;

    /// <summary>Prepares a group of <paramref name="threadCount"/> threads of kernel <paramref name="kernelName"/>.</summary>
    /// <param name="kernelName">The kernel's entry point, for error messages.</param>
    /// <param name="sites">The kernel's synchronisation sites; threads yield indices into it.</param>
    /// <param name="threadCount">Threads in the group.</param>
    public CpuGroupScheduler(string kernelName, CpuSyncSite[] sites, int threadCount)
    {
        _kernelName = kernelName;
        _sites = sites;
        _threads = new IEnumerator<int>?[threadCount];
        _waits = new int[threadCount];
        _warps = new CpuWarp[(threadCount + 31) / 32];
        var namedBarriers = new CpuNamedBarriers(kernelName, threadCount);
        var registers = new CpuRegisterPool(kernelName, threadCount);
        for (int w = 0; w < _warps.Length; w++) _warps[w] = new CpuWarp(kernelName, Math.Min(32, threadCount - 32 * w), namedBarriers, registers);
    }

    /// <summary>The exchange area of the warp that holds thread <paramref name="linearIndex"/>.</summary>
    public CpuWarp WarpOf(int linearIndex) => _warps[linearIndex >> 5];

    /// <summary>Registers the thread with group-linear index <paramref name="linearIndex"/>.</summary>
    public void Add(int linearIndex, IEnumerator<int> thread) => _threads[linearIndex] = thread;

    /// <summary>Runs all threads to completion.</summary>
    public void Run()
    {
        int count = _threads.Length, finished = 0;
        for (int t = 0; t < count; t++)
        {
            if (_threads[t] is null) throw new InvalidOperationException($"{_kernelName}: thread {t} of the group was not added.");
            _waits[t] = Runnable;
        }

        while (true)
        {
            bool progress = false;
            for (int t = 0; t < count; t++)
            {
                if (_waits[t] != Runnable) continue;
                IEnumerator<int> thread = _threads[t]!;
                if (thread.MoveNext())
                {
                    int site = thread.Current;
                    if ((site & RepollFlag) != 0) site &= ~RepollFlag;
                    else progress = true;
                    if ((uint)site >= (uint)_sites.Length)
                        throw new InvalidOperationException($"{_kernelName}: thread {t} yielded unknown synchronisation site {site}.");
                    _waits[t] = site;
                }
                else
                {
                    _waits[t] = Finished;
                    finished++;
                    progress = true;
                }
            }
            if (finished == count) return;
            if (ReleaseWarps()) continue;
            if (ReleaseBarrier()) continue;
            // Pollers retry only after someone else did something: a round of failed polls alone is a deadlock.
            if (progress && ReleasePollers()) continue;
            throw new CpuDivergenceException(DescribeDeadlock());
        }
    }

    /// <summary>Makes runnable every warp whose lanes all wait at the same warp site; true if any did.</summary>
    private bool ReleaseWarps()
    {
        bool any = false;
        for (int w = 0; w < _warps.Length; w++)
        {
            int first = 32 * w, end = first + _warps[w].Lanes;
            int site = _waits[first];
            if (site < 0 || _sites[site].Kind != CpuSyncKind.Warp) continue;
            bool all = true;
            for (int t = first + 1; t < end && all; t++) all = _waits[t] == site;
            if (!all) continue;
            for (int t = first; t < end; t++) _waits[t] = Runnable;
            any = true;
        }
        return any;
    }

    /// <summary>Makes every thread that waits at a poll site runnable; true if any did.</summary>
    private bool ReleasePollers()
    {
        bool any = false;
        for (int t = 0; t < _waits.Length; t++)
        {
            if (_waits[t] < 0 || _sites[_waits[t]].Kind != CpuSyncKind.Poll) continue;
            _waits[t] = Runnable;
            any = true;
        }
        return any;
    }

    /// <summary>Makes the whole group runnable if every thread waits at the same group barrier.</summary>
    private bool ReleaseBarrier()
    {
        int site = _waits[0];
        if (site < 0 || _sites[site].Kind != CpuSyncKind.GroupBarrier) return false;
        for (int t = 1; t < _waits.Length; t++)
        {
            if (_waits[t] != site) return false;
        }
        Array.Fill(_waits, Runnable);
        return true;
    }

    /// <summary>"threads 0-15 wait at Group.Barrier #0; threads 16-63 returned", runs of equal state merged.</summary>
    private string DescribeDeadlock()
    {
        var text = new StringBuilder();
        text.Append($"{_kernelName}: divergent barrier or warp collective, an mbarrier or named barrier phase that never completes, or a setmaxnreg increase the register pool cannot serve; no thread of the group can proceed: ");
        int start = 0;
        for (int t = 1; t <= _waits.Length; t++)
        {
            if (t < _waits.Length && _waits[t] == _waits[start]) continue;
            if (start > 0) text.Append("; ");
            bool one = start == t - 1;
            text.Append(one ? $"thread {start}" : $"threads {start}-{t - 1}");
            text.Append(_waits[start] == Finished ? " returned" : $" {(one ? "waits" : "wait")} at {_sites[_waits[start]].Description}");
            start = t;
        }
        text.Append('.');
        return text.ToString();
    }
}
