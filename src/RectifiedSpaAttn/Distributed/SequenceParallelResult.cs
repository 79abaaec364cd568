using RectifiedSpaAttn.Tensors;

namespace RectifiedSpaAttn.Distributed;

/// <summary>
/// What <see cref="SequenceParallelAttention.Run{T}"/> returns to this process: one output per local rank, split the way
/// the inputs were, and the density each rank's selection chose for its heads. Dispose it to free the outputs.
/// </summary>
/// <typeparam name="T">The element type.</typeparam>
public sealed class SequenceParallelResult<T> : IDisposable where T : unmanaged
{
    private readonly IReadOnlyList<IDisposable> _owned;

    /// <param name="outputs">Each local rank's output.</param>
    /// <param name="densities">Each local rank's density.</param>
    /// <param name="heads">Each local rank's heads.</param>
    /// <param name="owned">What holds the outputs' memory (the outputs themselves, or the per-rank attention results whose outputs they are).</param>
    internal SequenceParallelResult(IReadOnlyList<DeviceTensor<T>> outputs, IReadOnlyList<double> densities, IReadOnlyList<Shard> heads,
        IReadOnlyList<IDisposable> owned)
    {
        Outputs = outputs;
        Densities = densities;
        Heads = heads;
        _owned = owned;
    }

    /// <summary>
    /// Each local rank's output, in the order of the communicator's local ranks: <c>[B, H, S_r, D]</c> for
    /// <see cref="ShardLayout.Tokens"/> input, <c>[B, H_r, S, D]</c> for <see cref="ShardLayout.Heads"/>.
    /// </summary>
    public IReadOnlyList<DeviceTensor<T>> Outputs { get; }

    /// <summary>
    /// The fraction of (query block, key block) pairs each local rank computed for the heads it held (1 for dense
    /// attention), in the order of <see cref="Outputs"/>.
    /// </summary>
    public IReadOnlyList<double> Densities { get; }

    /// <summary>The heads each local rank attended over the whole sequence, in the order of <see cref="Outputs"/>.</summary>
    public IReadOnlyList<Shard> Heads { get; }

    /// <summary>Frees the outputs (and what the per-rank calls kept for them).</summary>
    public void Dispose()
    {
        foreach (IDisposable owner in _owned) owner.Dispose();
    }
}
