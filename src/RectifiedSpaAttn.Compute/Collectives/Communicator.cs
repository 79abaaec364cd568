namespace RectifiedSpaAttn.Compute.Collectives;

/// <summary>
/// A group of <see cref="Size"/> ranks, one accelerator each, that exchange device buffers. This process drives the ranks
/// in <see cref="LocalRanks"/>: all of them for a communicator over the GPUs of one process, one of them when each GPU
/// has its own process. Methods take one buffer per local rank, in the order of <see cref="LocalRanks"/>, and enqueue
/// the exchange on each local accelerator's default stream (kernels launched there before are finished first, kernels
/// launched after see the data). <see cref="CreateHost"/> exchanges through host memory between any accelerators of
/// this process (tests, CPU and OpenCL); <see cref="Nccl.NcclCommunicator"/> uses NCCL between CUDA GPUs.
/// </summary>
public abstract class Communicator : IDisposable
{
    private readonly Accelerator[] _accelerators;
    private readonly int[] _localRanks;
    private int _disposed;

    private protected Communicator(int size, IReadOnlyList<int> localRanks, IReadOnlyList<Accelerator> accelerators)
    {
        if (localRanks.Count != accelerators.Count)
            throw new ArgumentException($"{localRanks.Count} local ranks but {accelerators.Count} accelerators.", nameof(accelerators));
        Size = size;
        _localRanks = [.. localRanks];
        _accelerators = [.. accelerators];
    }

    /// <summary>The number of ranks in the group, in all processes.</summary>
    public int Size { get; }

    /// <summary>The ranks this process drives, in the order every method's per-rank lists use.</summary>
    public IReadOnlyList<int> LocalRanks => _localRanks;

    /// <summary>The accelerator of each local rank, in the order of <see cref="LocalRanks"/>.</summary>
    public IReadOnlyList<Accelerator> Accelerators => _accelerators;

    /// <summary>What carries the data, for messages and benchmarks (e.g. "NCCL 2.27.3", "host memory").</summary>
    public abstract string Transport { get; }

    /// <summary>
    /// A communicator over <paramref name="accelerators"/> (rank i on accelerator i, all in this process) that copies
    /// through host memory. Slow, synchronous and exact: for tests, for the CPU accelerator and for OpenCL.
    /// </summary>
    /// <exception cref="ArgumentException">The list is empty, holds a null or a disposed accelerator.</exception>
    public static Communicator CreateHost(IReadOnlyList<Accelerator> accelerators)
    {
        ArgumentNullException.ThrowIfNull(accelerators);
        RequireAccelerators(accelerators);
        return new HostCommunicator(accelerators);
    }

    /// <summary>
    /// Runs <paramref name="transfers"/>: each moves a contiguous range from a rank's <paramref name="sources"/> buffer
    /// into a rank's <paramref name="destinations"/> buffer. Transfers whose sender and receiver are both remote are
    /// skipped; the others must be listed, in the same order, by every process.
    /// </summary>
    /// <param name="sources">Each local rank's send buffer.</param>
    /// <param name="destinations">Each local rank's receive buffer (must not overlap its send buffer where transfers land).</param>
    /// <param name="transfers">The copies (see <see cref="Transfer"/>).</param>
    /// <exception cref="ArgumentException">A list has the wrong length, a rank is out of range, a range lies outside its buffer.</exception>
    public void Exchange<T>(IReadOnlyList<ArrayView<T>> sources, IReadOnlyList<ArrayView<T>> destinations, IReadOnlyList<Transfer> transfers)
        where T : unmanaged
    {
        ThrowIfDisposed();
        RequirePerRank(sources, nameof(sources));
        RequirePerRank(destinations, nameof(destinations));
        ArgumentNullException.ThrowIfNull(transfers);
        foreach (Transfer t in transfers) CheckTransfer(t, sources, destinations);
        ExchangeCore(sources, destinations, transfers);
    }

    /// <summary>
    /// All-to-all: every local rank's send buffer holds <see cref="Size"/> chunks of <paramref name="countPerPeer"/>
    /// elements, chunk p for rank p; its receive buffer gets chunk p from rank p.
    /// </summary>
    /// <exception cref="ArgumentException">A buffer holds fewer than <c>Size * countPerPeer</c> elements.</exception>
    public void AllToAll<T>(IReadOnlyList<ArrayView<T>> sources, IReadOnlyList<ArrayView<T>> destinations, long countPerPeer)
        where T : unmanaged
    {
        ArgumentOutOfRangeException.ThrowIfNegative(countPerPeer);
        var transfers = new List<Transfer>(Size * Size);
        for (int from = 0; from < Size; from++)
            for (int to = 0; to < Size; to++)
                transfers.Add(new Transfer(from, to * countPerPeer, to, from * countPerPeer, countPerPeer));
        Exchange(sources, destinations, transfers);
    }

    /// <summary>
    /// All-gather: every rank's <paramref name="count"/> elements land at <c>rank * count</c> in every rank's receive buffer.
    /// </summary>
    /// <exception cref="ArgumentException">A send buffer holds fewer than <paramref name="count"/> elements or a receive buffer fewer than <c>Size * count</c>.</exception>
    public void AllGather<T>(IReadOnlyList<ArrayView<T>> sources, IReadOnlyList<ArrayView<T>> destinations, long count)
        where T : unmanaged
    {
        ThrowIfDisposed();
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        RequirePerRank(sources, nameof(sources));
        RequirePerRank(destinations, nameof(destinations));
        for (int i = 0; i < _localRanks.Length; i++)
        {
            RequireLength(sources[i], count, $"{nameof(sources)}[{i}]");
            RequireLength(destinations[i], Size * count, $"{nameof(destinations)}[{i}]");
        }
        AllGatherCore(sources, destinations, count);
    }

    /// <summary>Waits until every local rank's exchanges (and everything else on its accelerator) have finished.</summary>
    public void Synchronize()
    {
        ThrowIfDisposed();
        foreach (Accelerator accelerator in _accelerators) accelerator.Synchronize();
    }

    /// <summary>Releases the communicator (not the accelerators).</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        DisposeCore();
        GC.SuppressFinalize(this);
    }

    /// <summary>Moves the listed ranges (arguments already checked).</summary>
    private protected abstract void ExchangeCore<T>(IReadOnlyList<ArrayView<T>> sources, IReadOnlyList<ArrayView<T>> destinations, IReadOnlyList<Transfer> transfers)
        where T : unmanaged;

    /// <summary>All-gather (arguments already checked); by default one transfer from every rank to every rank.</summary>
    private protected virtual void AllGatherCore<T>(IReadOnlyList<ArrayView<T>> sources, IReadOnlyList<ArrayView<T>> destinations, long count)
        where T : unmanaged
    {
        var transfers = new List<Transfer>(Size * Size);
        for (int from = 0; from < Size; from++)
            for (int to = 0; to < Size; to++)
                transfers.Add(new Transfer(from, 0, to, from * count, count));
        ExchangeCore(sources, destinations, transfers);
    }

    private protected virtual void DisposeCore()
    {
    }

    /// <summary>The position of <paramref name="rank"/> in <see cref="LocalRanks"/>, or -1 when another process drives it.</summary>
    private protected int LocalIndex(int rank) => Array.IndexOf(_localRanks, rank);

    private protected void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);

    private protected static void RequireAccelerators(IReadOnlyList<Accelerator> accelerators)
    {
        if (accelerators.Count == 0) throw new ArgumentException("A communicator needs at least one accelerator.", nameof(accelerators));
        for (int i = 0; i < accelerators.Count; i++)
        {
            if (accelerators[i] is null) throw new ArgumentException($"Accelerator {i} is null.", nameof(accelerators));
            if (accelerators[i].IsDisposed) throw new ArgumentException($"Accelerator {i} ({accelerators[i].Name}) is disposed.", nameof(accelerators));
        }
    }

    private void RequirePerRank<T>(IReadOnlyList<ArrayView<T>> views, string name) where T : unmanaged
    {
        ArgumentNullException.ThrowIfNull(views, name);
        if (views.Count != _localRanks.Length)
            throw new ArgumentException($"{name} has {views.Count} buffers; this process drives {_localRanks.Length} rank(s) and needs one each.", name);
    }

    private void CheckTransfer<T>(Transfer t, IReadOnlyList<ArrayView<T>> sources, IReadOnlyList<ArrayView<T>> destinations) where T : unmanaged
    {
        if ((uint)t.SourceRank >= (uint)Size || (uint)t.DestinationRank >= (uint)Size)
            throw new ArgumentException($"{t} names a rank outside [0, {Size}).", "transfers");
        if (t.Count < 0 || t.SourceOffset < 0 || t.DestinationOffset < 0)
            throw new ArgumentException($"{t} has a negative count or offset.", "transfers");
        int from = LocalIndex(t.SourceRank), to = LocalIndex(t.DestinationRank);
        if (from >= 0) RequireLength(sources[from], t.SourceOffset + t.Count, $"the send buffer of rank {t.SourceRank} (for {t})");
        if (to >= 0) RequireLength(destinations[to], t.DestinationOffset + t.Count, $"the receive buffer of rank {t.DestinationRank} (for {t})");
    }

    private static void RequireLength<T>(ArrayView<T> view, long needed, string what) where T : unmanaged
    {
        if (view.Length < needed)
            throw new ArgumentException($"{what} holds {view.Length} elements; {needed} are needed.");
    }
}
