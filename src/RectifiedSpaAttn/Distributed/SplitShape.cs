using RectifiedSpaAttn.Compute.Collectives;
using RectifiedSpaAttn.Tensors;

namespace RectifiedSpaAttn.Distributed;

/// <summary>The whole <c>[B, H, S, D]</c> of a split call, checked against every local shard.</summary>
internal readonly record struct SplitShape(int Batch, int Heads, int SequenceLength, int HeadDim)
{
    public static SplitShape Check<T>(
        Communicator communicator, IReadOnlyList<DeviceTensor<T>> q, IReadOnlyList<DeviceTensor<T>> k, IReadOnlyList<DeviceTensor<T>> v,
        ShardLayout layout, int? sequenceLength, int? heads) where T : unmanaged
    {
        ArgumentNullException.ThrowIfNull(q);
        ArgumentNullException.ThrowIfNull(k);
        ArgumentNullException.ThrowIfNull(v);
        int local = communicator.LocalRanks.Count;
        if (q.Count != local || k.Count != local || v.Count != local)
            throw new ArgumentException($"q, k and v need one tensor per local rank ({local}); got {q.Count}, {k.Count} and {v.Count}.");
        int splitAxis = layout == ShardLayout.Tokens ? 2 : 1;
        for (int i = 0; i < local; i++)
        {
            Require(q[i], q[0], communicator, i, "q", keptAxis: 3 - splitAxis);
            if (!k[i].Shape.SequenceEqual(q[i].Shape) || !v[i].Shape.SequenceEqual(q[i].Shape))
                throw new ArgumentException($"Rank {communicator.LocalRanks[i]}: k {k[i].ShapeText} and v {v[i].ShapeText} must match q {q[i].ShapeText}.");
            if (k[i].Accelerator != q[i].Accelerator || v[i].Accelerator != q[i].Accelerator)
                throw new ArgumentException($"Rank {communicator.LocalRanks[i]}: q, k and v must be on its accelerator ({q[i].Accelerator.Name}).");
        }

        string axisName = layout == ShardLayout.Tokens ? "sequence length" : "head count";
        int? given = layout == ShardLayout.Tokens ? sequenceLength : heads;
        int whole = given ?? (local == communicator.Size
            ? q.Sum(t => t.Shape[splitAxis])
            : throw new ArgumentException($"Another process holds some ranks, so the whole {axisName} must be given.",
                layout == ShardLayout.Tokens ? nameof(sequenceLength) : nameof(heads)));
        Shard[] shards = Shard.Split(whole, communicator.Size);
        for (int i = 0; i < local; i++)
        {
            int rank = communicator.LocalRanks[i];
            if (q[i].Shape[splitAxis] != shards[rank].Count)
                throw new ArgumentException(
                    $"Rank {rank} holds {q[i].Shape[splitAxis]} along the {axisName} axis; splitting {whole} over {communicator.Size} ranks " +
                    $"gives it {shards[rank].Count} (items {shards[rank].Start}..{shards[rank].Start + shards[rank].Count - 1}; see Shard.Split).");
        }
        int[] first = q[0].Shape.ToArray();
        return layout == ShardLayout.Tokens
            ? new SplitShape(first[0], first[1], whole, first[3])
            : new SplitShape(first[0], whole, first[2], first[3]);
    }

    private static void Require<T>(DeviceTensor<T> tensor, DeviceTensor<T> first, Communicator communicator, int i, string name, int keptAxis) where T : unmanaged
    {
        int rank = communicator.LocalRanks[i];
        if (tensor.Rank != 4) throw new ArgumentException($"Rank {rank}: {name} must be [B, H, S, D]; got {tensor.ShapeText}.");
        if (tensor.Accelerator != communicator.Accelerators[i])
            throw new ArgumentException($"Rank {rank}: {name} is on {tensor.Accelerator.Name}, but the communicator puts rank {rank} on {communicator.Accelerators[i].Name}.");
        if (tensor.Shape[0] != first.Shape[0] || tensor.Shape[3] != first.Shape[3] || tensor.Shape[keptAxis] != first.Shape[keptAxis])
            throw new ArgumentException(
                $"Rank {rank}: {name} {tensor.ShapeText} differs from rank {communicator.LocalRanks[0]}'s {first.ShapeText} outside the split axis.");
    }
}
