using System.ComponentModel;

namespace RectifiedSpaAttn.Compute.Emulation;

/// <summary>
/// <c>mbarrier</c> emulated in the barrier's own 8 bytes of shared memory: bits 0-10 pending arrivals, 11-21 expected
/// arrivals, 22 the current phase's parity, 23-31 a marker written by init, 32-63 the signed transaction count still
/// awaited. A phase completes when pending arrivals and transaction count are both zero. For generated code only.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static unsafe class CpuMbarrier
{
    private const ulong Marker = 0x1A5UL << 23;
    private const ulong MarkerMask = 0x1FFUL << 23;

    /// <summary><c>mbarrier.init</c>.</summary>
    public static void Init(nint root, long rootBytes, long byteOffset, long index, string rootName, int arrivals)
    {
        if (arrivals < 1 || arrivals > 1024) throw new ArgumentOutOfRangeException(nameof(arrivals), arrivals, "An mbarrier expects 1 to 1024 arrivals here.");
        *At(root, rootBytes, byteOffset, index, rootName) = Marker | (uint)arrivals | (ulong)(uint)arrivals << 11;
    }

    /// <summary><c>mbarrier.arrive</c>, with <paramref name="transactionBytes"/> first added to the awaited count (<c>.expect_tx</c>).</summary>
    public static void Arrive(nint root, long rootBytes, long byteOffset, long index, string rootName, int transactionBytes)
    {
        ulong* p = Checked(root, rootBytes, byteOffset, index, rootName);
        ulong s = *p;
        int pending = (int)(s & 0x7FF);
        if (pending == 0) throw new InvalidOperationException($"An mbarrier in '{rootName}' got more arrivals than it expects in one phase.");
        int tx = (int)(s >> 32) + transactionBytes;
        *p = Settle((s & ~0x7FFUL & 0xFFFF_FFFFUL) | (uint)(pending - 1) | (ulong)(uint)tx << 32);
    }

    /// <summary>The copy engine's <c>complete_tx</c> of <paramref name="bytes"/> on a barrier.</summary>
    internal static void CompleteTransaction(nint root, long rootBytes, long byteOffset, long index, string rootName, int bytes)
    {
        ulong* p = Checked(root, rootBytes, byteOffset, index, rootName);
        ulong s = *p;
        int tx = (int)(s >> 32) - bytes;
        *p = Settle((s & 0xFFFF_FFFFUL) | (ulong)(uint)tx << 32);
    }

    /// <summary><c>mbarrier.test_wait.parity</c>: whether the phase with parity <paramref name="parity"/> has completed.</summary>
    public static bool TestWait(nint root, long rootBytes, long byteOffset, long index, string rootName, int parity)
    {
        ulong s = *Checked(root, rootBytes, byteOffset, index, rootName);
        return (int)((s >> 22) & 1) != (parity & 1);
    }

    /// <summary>Completes the phase when nothing is pending: flips the parity, re-arms the arrivals.</summary>
    private static ulong Settle(ulong s)
    {
        if ((s & 0x7FF) != 0 || (int)(s >> 32) != 0) return s;
        ulong expected = (s >> 11) & 0x7FF;
        return (s & MarkerMask) | expected | expected << 11 | ((s ^ (1UL << 22)) & (1UL << 22));
    }

    private static ulong* Checked(nint root, long rootBytes, long byteOffset, long index, string rootName)
    {
        ulong* p = At(root, rootBytes, byteOffset, index, rootName);
        if ((*p & MarkerMask) != Marker)
            throw new InvalidOperationException($"An mbarrier in '{rootName}' (element {index}) is used before Mbarrier.Init.");
        return p;
    }

    private static ulong* At(nint root, long rootBytes, long byteOffset, long index, string rootName)
    {
        if (root == 0 || rootBytes == 0) throw new InvalidOperationException("mbarriers live in shared memory.");
        nint a = CpuMemory.Address(root, rootBytes, byteOffset, index, 8, 8, rootName);
        if ((a & 7) != 0) throw new InvalidOperationException($"An mbarrier in '{rootName}' is not 8-byte aligned.");
        return (ulong*)a;
    }
}
