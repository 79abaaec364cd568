namespace RectifiedSpaAttn.Compute;

/// <summary>
/// Shared-memory barriers with phases and transaction counts (<c>mbarrier</c>, sm_90): the producer/consumer handshake
/// of <see cref="BulkTensor"/> pipelines. A barrier is one <c>ulong</c> of shared memory (element <c>index</c> of an
/// <c>ArrayView&lt;ulong&gt;</c>, 8-byte aligned). Only kernels marked <see cref="RequiresHopperAttribute"/> may use these.
/// </summary>
/// <remarks>
/// A barrier counts down the arrivals and the transaction bytes of its current phase; when both reach zero the phase
/// completes: its parity (0 for the first phase) flips, the arrival count is re-armed with the count given to
/// <see cref="Init"/>, and threads waiting for that parity go on. The CPU emulation keeps this state in the barrier's
/// 8 bytes, completes a <see cref="BulkTensor"/> copy's bytes when the copy is issued, and reports a group whose
/// threads all wait on phases that can never complete (for example a wait on the wrong parity) as a
/// <c>CpuDivergenceException</c>.
/// </remarks>
public static class Mbarrier
{
    /// <summary><c>mbarrier.init.shared::cta.b64</c>: phase 0, expecting <paramref name="arrivals"/> arrivals (1 to 1024) and no transaction bytes. Make it visible with <see cref="BulkTensor.FenceProxyAsync"/> and a <c>Group.Barrier()</c> before use.</summary>
    public static void Init(ArrayView<ulong> barriers, int index, int arrivals) => throw new KernelOnlyException("Mbarrier.Init");

    /// <summary><c>mbarrier.arrive.shared::cta.b64</c>: one arrival on the current phase.</summary>
    public static void Arrive(ArrayView<ulong> barriers, int index) => throw new KernelOnlyException("Mbarrier.Arrive");

    /// <summary><c>mbarrier.arrive.expect_tx.shared::cta.b64</c>: adds <paramref name="bytes"/> to the transaction bytes the current phase waits for, then arrives once.</summary>
    public static void ArriveExpectTransaction(ArrayView<ulong> barriers, int index, int bytes) => throw new KernelOnlyException("Mbarrier.ArriveExpectTransaction");

    /// <summary>
    /// Waits (a loop around <c>mbarrier.try_wait.parity.shared::cta.b64</c>) until the phase with parity
    /// <paramref name="parity"/> (0 or 1) has completed, i.e. until the barrier's current phase parity differs from it.
    /// A fresh barrier is in phase 0, so waiting on parity 1 returns at once.
    /// </summary>
    public static void Wait(ArrayView<ulong> barriers, int index, int parity) => throw new KernelOnlyException("Mbarrier.Wait");
}
