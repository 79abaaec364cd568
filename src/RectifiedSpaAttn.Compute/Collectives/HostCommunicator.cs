namespace RectifiedSpaAttn.Compute.Collectives;

/// <summary>
/// All ranks in this process; every transfer is a device-to-host copy followed by a host-to-device copy through one
/// staging array. The copies are blocking and ordered after the kernels already launched on each accelerator, so the
/// result is exact on any backend. Made by <see cref="Communicator.CreateHost"/>.
/// </summary>
internal sealed class HostCommunicator : Communicator
{
    public HostCommunicator(IReadOnlyList<Accelerator> accelerators)
        : base(accelerators.Count, Enumerable.Range(0, accelerators.Count).ToArray(), accelerators)
    {
    }

    public override string Transport => "host memory";

    private protected override unsafe void ExchangeCore<T>(
        IReadOnlyList<ArrayView<T>> sources, IReadOnlyList<ArrayView<T>> destinations, IReadOnlyList<Transfer> transfers)
    {
        T[] staging = [];
        foreach (Transfer t in transfers)
        {
            if (t.Count == 0) continue;
            if (staging.Length < t.Count) staging = new T[t.Count];
            ArrayView<T> from = sources[t.SourceRank], to = destinations[t.DestinationRank];
            long bytes = t.Count * sizeof(T);
            fixed (T* host = staging)
            {
                Accelerators[t.SourceRank].CopyFromDevice(from.Handle, (from.Offset + t.SourceOffset) * sizeof(T), host, bytes);
                Accelerators[t.DestinationRank].CopyToDevice(to.Handle, (to.Offset + t.DestinationOffset) * sizeof(T), host, bytes);
            }
        }
    }
}
