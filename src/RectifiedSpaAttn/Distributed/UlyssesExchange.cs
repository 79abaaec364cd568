using RectifiedSpaAttn.Compute.Collectives;

namespace RectifiedSpaAttn.Distributed;

/// <summary>
/// The two all-to-all exchanges of Ulysses sequence parallelism over <c>[B, H, S, D]</c> tensors, as lists of contiguous
/// <see cref="Transfer"/>s so that no packing kernel is needed: token-split rank r holds <c>[B, H, S_r, D]</c>;
/// head-split rank p holds <c>[B, H_p, S, D]</c>. For every batch item and every head of p, the <c>S_r * D</c> elements
/// of rank r's tokens are contiguous on both sides, so each (r, p, b, head) is one transfer; runs that are contiguous on
/// both sides as well (one rank, one head per rank) are merged.
/// </summary>
internal sealed class UlyssesExchange
{
    private readonly int _batch, _headDim;
    private readonly Shard[] _tokens, _heads;

    public UlyssesExchange(int batch, int heads, int sequenceLength, int headDim, int ranks)
    {
        _batch = batch;
        _headDim = headDim;
        _tokens = Shard.Split(sequenceLength, ranks);
        _heads = Shard.Split(heads, ranks);
        HeadCount = heads;
        SequenceLength = sequenceLength;
    }

    public int HeadCount { get; }

    public int SequenceLength { get; }

    /// <summary>Each rank's tokens in the token split.</summary>
    public IReadOnlyList<Shard> Tokens => _tokens;

    /// <summary>Each rank's heads in the head split.</summary>
    public IReadOnlyList<Shard> Heads => _heads;

    /// <summary>Token split -> head split: rank r's <c>[B, H, S_r, D]</c> pieces land in every rank p's <c>[B, H_p, S, D]</c>.</summary>
    public IReadOnlyList<Transfer> TokensToHeads() => Plan(toHeads: true);

    /// <summary>Head split -> token split: the inverse of <see cref="TokensToHeads"/>.</summary>
    public IReadOnlyList<Transfer> HeadsToTokens() => Plan(toHeads: false);

    private List<Transfer> Plan(bool toHeads)
    {
        var transfers = new List<Transfer>();
        long d = _headDim, s = SequenceLength, h = HeadCount;
        for (int r = 0; r < _tokens.Length; r++)
            for (int p = 0; p < _heads.Length; p++)
                for (int b = 0; b < _batch; b++)
                    for (int head = 0; head < _heads[p].Count; head++)
                    {
                        Shard tokens = _tokens[r];
                        long tokenSplit = ((b * h + _heads[p].Start + head) * tokens.Count) * d;
                        long headSplit = ((b * (long)_heads[p].Count + head) * s + tokens.Start) * d;
                        long count = tokens.Count * d;
                        Add(transfers, toHeads
                            ? new Transfer(r, tokenSplit, p, headSplit, count)
                            : new Transfer(p, headSplit, r, tokenSplit, count));
                    }
        return transfers;
    }

    // Appends, merging with the previous transfer when both ranges continue it (same ranks, adjacent on both sides).
    private static void Add(List<Transfer> transfers, Transfer next)
    {
        if (next.Count == 0) return;
        if (transfers.Count > 0 && transfers[^1] is var last
            && last.SourceRank == next.SourceRank && last.DestinationRank == next.DestinationRank
            && last.SourceOffset + last.Count == next.SourceOffset && last.DestinationOffset + last.Count == next.DestinationOffset)
        {
            transfers[^1] = last with { Count = last.Count + next.Count };
            return;
        }
        transfers.Add(next);
    }
}
