using RectifiedSpaAttn.Compute.Cuda;

namespace RectifiedSpaAttn.Compute.Collectives.Nccl;

/// <summary>
/// A <see cref="Communicator"/> over CUDA GPUs through NCCL: exchanges are grouped <c>ncclSend</c>/<c>ncclRecv</c> calls
/// (one pair per <see cref="Transfer"/>), enqueued on each GPU's default stream, so they run over NVLink or PCIe without
/// host copies and return before the data has moved. Make one with <see cref="CreateAll"/> (all GPUs in this process) or
/// <see cref="CreateRank"/> (one process per GPU).
/// </summary>
/// <remarks>NVLink multicast (NVLS) is never asked for: the exchanges are point-to-point.</remarks>
public sealed unsafe class NcclCommunicator : Communicator
{
    private readonly nint[] _comms;
    private readonly CudaAccelerator[] _gpus;
    private readonly string _version;

    private NcclCommunicator(int size, IReadOnlyList<int> localRanks, CudaAccelerator[] gpus, nint[] comms, string version)
        : base(size, localRanks, gpus)
    {
        _gpus = gpus;
        _comms = comms;
        _version = version;
    }

    /// <summary>Whether NCCL can be loaded on this machine (see <see cref="NcclLibrary.PathVariable"/>).</summary>
    public static bool IsAvailable => NcclLibrary.IsAvailable;

    /// <inheritdoc/>
    public override string Transport => "NCCL " + _version;

    /// <summary>
    /// One communicator over the GPUs of this process: rank i is <paramref name="accelerators"/>[i]
    /// (<c>ncclCommInitAll</c>).
    /// </summary>
    /// <exception cref="ArgumentException">An accelerator is not a CUDA GPU, or a GPU is listed twice.</exception>
    /// <exception cref="NotSupportedException">NCCL cannot be loaded.</exception>
    /// <exception cref="AcceleratorException">NCCL failed to set up the communicator.</exception>
    public static NcclCommunicator CreateAll(IReadOnlyList<Accelerator> accelerators)
    {
        ArgumentNullException.ThrowIfNull(accelerators);
        RequireAccelerators(accelerators);
        CudaAccelerator[] gpus = RequireGpus(accelerators);
        NcclLibrary.Entries nccl = NcclLibrary.Require();
        int[] ordinals = gpus.Select(g => g.DeviceOrdinal).ToArray();
        if (ordinals.Distinct().Count() != ordinals.Length)
            throw new ArgumentException("A GPU is listed twice; NCCL needs one rank per GPU.", nameof(accelerators));
        var comms = new nint[gpus.Length];
        fixed (nint* commPointers = comms)
        fixed (int* devices = ordinals)
            NcclLibrary.Check(nccl.CommInitAll(commPointers, gpus.Length, devices), "ncclCommInitAll");
        return new NcclCommunicator(gpus.Length, Enumerable.Range(0, gpus.Length).ToArray(), gpus, comms, NcclLibrary.Version());
    }

    /// <summary>
    /// This process's rank <paramref name="rank"/> of <paramref name="size"/> on <paramref name="accelerator"/>
    /// (<c>ncclCommInitRank</c>); blocks until all <paramref name="size"/> processes have joined with the same
    /// <paramref name="id"/>.
    /// </summary>
    /// <exception cref="ArgumentException">The accelerator is not a CUDA GPU, or the rank is outside [0, size).</exception>
    /// <exception cref="NotSupportedException">NCCL cannot be loaded.</exception>
    /// <exception cref="AcceleratorException">NCCL failed to set up the communicator.</exception>
    public static NcclCommunicator CreateRank(Accelerator accelerator, NcclUniqueId id, int rank, int size)
    {
        ArgumentNullException.ThrowIfNull(accelerator);
        RequireAccelerators([accelerator]);
        ArgumentOutOfRangeException.ThrowIfLessThan(size, 1);
        if ((uint)rank >= (uint)size) throw new ArgumentException($"Rank {rank} is outside [0, {size}).", nameof(rank));
        CudaAccelerator gpu = RequireGpus([accelerator])[0];
        NcclLibrary.Entries nccl = NcclLibrary.Require();
        // NCCL takes the device from the calling thread's current context.
        gpu.MakeCurrent();
        nint comm;
        NcclLibrary.Check(nccl.CommInitRank(&comm, size, id, rank), "ncclCommInitRank");
        return new NcclCommunicator(size, [rank], [gpu], [comm], NcclLibrary.Version());
    }

    private protected override void ExchangeCore<T>(
        IReadOnlyList<ArrayView<T>> sources, IReadOnlyList<ArrayView<T>> destinations, IReadOnlyList<Transfer> transfers)
    {
        NcclLibrary.Entries nccl = NcclLibrary.Require();
        // One group: NCCL matches each pair's sends and receives in the order they are listed, and a single thread may
        // drive every GPU of the group without deadlocking on the first blocking send.
        Group(nccl, () =>
        {
            foreach (Transfer t in transfers)
            {
                if (t.Count == 0) continue;
                nuint bytes = (nuint)(t.Count * sizeof(T));
                int from = LocalIndex(t.SourceRank), to = LocalIndex(t.DestinationRank);
                if (from >= 0)
                    NcclLibrary.Check(nccl.Send(Pointer(sources[from], t.SourceOffset), bytes, NcclLibrary.Uint8, t.DestinationRank, _comms[from], Stream(from)), "ncclSend");
                if (to >= 0)
                    NcclLibrary.Check(nccl.Recv(Pointer(destinations[to], t.DestinationOffset), bytes, NcclLibrary.Uint8, t.SourceRank, _comms[to], Stream(to)), "ncclRecv");
            }
        });
    }

    private protected override void AllGatherCore<T>(IReadOnlyList<ArrayView<T>> sources, IReadOnlyList<ArrayView<T>> destinations, long count)
    {
        NcclLibrary.Entries nccl = NcclLibrary.Require();
        nuint bytes = (nuint)(count * sizeof(T));
        Group(nccl, () =>
        {
            for (int i = 0; i < _comms.Length; i++)
                NcclLibrary.Check(nccl.AllGather(Pointer(sources[i], 0), Pointer(destinations[i], 0), bytes, NcclLibrary.Uint8, _comms[i], Stream(i)), "ncclAllGather");
        });
    }

    private protected override void DisposeCore()
    {
        if (!NcclLibrary.IsAvailable) return;
        NcclLibrary.Entries nccl = NcclLibrary.Require();
        for (int i = 0; i < _comms.Length; i++)
        {
            if (_comms[i] == 0) continue;
            if (!_gpus[i].IsDisposed) _gpus[i].MakeCurrent();
            nccl.CommDestroy(_comms[i]);
            _comms[i] = 0;
        }
    }

    private static void Group(NcclLibrary.Entries nccl, Action enqueue)
    {
        NcclLibrary.Check(nccl.GroupStart(), "ncclGroupStart");
        try
        {
            enqueue();
        }
        finally
        {
            NcclLibrary.Check(nccl.GroupEnd(), "ncclGroupEnd");
        }
    }

    private nint Stream(int localIndex) => ((CudaStream)_gpus[localIndex].DefaultStream).Handle;

    private static void* Pointer<T>(ArrayView<T> view, long offset) where T : unmanaged
        => (void*)(view.Handle + (nint)((view.Offset + offset) * sizeof(T)));

    private static CudaAccelerator[] RequireGpus(IReadOnlyList<Accelerator> accelerators)
    {
        var gpus = new CudaAccelerator[accelerators.Count];
        for (int i = 0; i < gpus.Length; i++)
            gpus[i] = accelerators[i] as CudaAccelerator ?? throw new ArgumentException(
                $"NCCL connects CUDA GPUs; accelerator {i} is {accelerators[i]}. Use Communicator.CreateHost for other accelerators.", nameof(accelerators));
        return gpus;
    }
}
