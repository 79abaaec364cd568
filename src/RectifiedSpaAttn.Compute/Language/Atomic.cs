namespace RectifiedSpaAttn.Compute;

/// <summary>Atomic read-modify-write on global or shared memory. Each returns the previous value.</summary>
public static class Atomic
{
    /// <summary>Atomically adds <paramref name="value"/> to <paramref name="target"/>.</summary>
    public static int Add(ref int target, int value) => throw new KernelOnlyException("Atomic.Add");
    /// <summary>Atomically adds <paramref name="value"/> to <paramref name="target"/>.</summary>
    public static uint Add(ref uint target, uint value) => throw new KernelOnlyException("Atomic.Add");
    /// <summary>Atomically adds <paramref name="value"/> to <paramref name="target"/> (<c>atom.add.f32</c>).</summary>
    public static float Add(ref float target, float value) => throw new KernelOnlyException("Atomic.Add");
    /// <summary>Atomically stores the maximum of <paramref name="target"/> and <paramref name="value"/>.</summary>
    public static int Max(ref int target, int value) => throw new KernelOnlyException("Atomic.Max");
    /// <summary>
    /// Atomically stores <paramref name="value"/> in <paramref name="target"/> (<c>atom.exch.b32</c>; OpenCL
    /// <c>atomic_xchg</c>). As a plain store whose readers use atomics too, it keeps a hand-off between threads that
    /// something other than a barrier orders (an mbarrier phase) out of compute-sanitizer racecheck's hazards.
    /// </summary>
    public static int Exchange(ref int target, int value) => throw new KernelOnlyException("Atomic.Exchange");
    /// <summary>Atomically compares <paramref name="target"/> with <paramref name="comparand"/> and, if equal, stores <paramref name="value"/>.</summary>
    public static int CompareExchange(ref int target, int value, int comparand) => throw new KernelOnlyException("Atomic.CompareExchange");
}
