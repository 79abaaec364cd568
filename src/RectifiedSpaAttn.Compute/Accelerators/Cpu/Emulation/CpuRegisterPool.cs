using System.ComponentModel;

namespace RectifiedSpaAttn.Compute.Emulation;

/// <summary>
/// The registers of one emulated group, as <c>setmaxnreg</c> moves them: the group is launched with a fixed number a
/// thread (what ptxas allots at entry from the kernel's launch bounds), and a warpgroup's decrease returns registers to
/// the group's pool while an increase takes them from it, waiting until the pool holds enough. The registers come from
/// the launch, not from the multiprocessor's whole file, so budgets that ask for more than the launch gave wait forever
/// on the GPU; here that shows as a reported deadlock. Counted per thread (a warpgroup's 128 threads each move their
/// own share), which totals the same. For generated code only.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public sealed class CpuRegisterPool
{
    private readonly string _kernelName;
    private readonly int _groupThreads;
    private int[] _held = [];
    private long _free;

    /// <summary>The pool of a group of <paramref name="groupThreads"/> threads of kernel <paramref name="kernelName"/>.</summary>
    public CpuRegisterPool(string kernelName, int groupThreads)
    {
        _kernelName = kernelName;
        _groupThreads = groupThreads;
    }

    /// <summary>
    /// Thread <paramref name="linear"/> lowers its budget to <paramref name="registers"/> (<c>setmaxnreg.dec</c>), from
    /// the <paramref name="entry"/> registers every thread was launched with unless it moved before.
    /// </summary>
    /// <exception cref="InvalidOperationException">The thread holds fewer than <paramref name="registers"/>.</exception>
    public void Decrease(int linear, int entry, int registers)
    {
        Start(entry);
        if (registers > _held[linear])
            throw new InvalidOperationException(
                $"{_kernelName}: setmaxnreg.dec to {registers} registers in thread {linear}, which holds {_held[linear]}: a decrease cannot raise the budget.");
        _free += _held[linear] - registers;
        _held[linear] = registers;
    }

    /// <summary>
    /// Thread <paramref name="linear"/> asks to raise its budget to <paramref name="registers"/> (<c>setmaxnreg.inc</c>);
    /// returns false while the pool cannot give the difference (the caller polls).
    /// </summary>
    /// <exception cref="InvalidOperationException">The thread already holds more than <paramref name="registers"/>.</exception>
    public bool TryIncrease(int linear, int entry, int registers)
    {
        Start(entry);
        if (registers < _held[linear])
            throw new InvalidOperationException(
                $"{_kernelName}: setmaxnreg.inc to {registers} registers in thread {linear}, which holds {_held[linear]}: an increase cannot lower the budget.");
        int more = registers - _held[linear];
        if (more > _free) return false;
        _free -= more;
        _held[linear] = registers;
        return true;
    }

    /// <summary>
    /// On the group's first request: every thread holds the entry count, and nothing is free. (Made then, so groups of
    /// kernels that never move registers allocate nothing.)
    /// </summary>
    private void Start(int entry)
    {
        if (_held.Length == _groupThreads) return;
        _held = new int[_groupThreads];
        Array.Fill(_held, entry);
    }
}
