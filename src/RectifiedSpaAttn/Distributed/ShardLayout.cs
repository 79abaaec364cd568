namespace RectifiedSpaAttn.Distributed;

/// <summary>How q, k and v are split over the ranks when they reach <see cref="SequenceParallelAttention"/>.</summary>
public enum ShardLayout
{
    /// <summary>
    /// Split by tokens, as a sequence-parallel model holds its activations: rank r holds <c>[B, H, S_r, D]</c>, tokens
    /// <see cref="Shard.Split"/><c>(S, P)[r]</c>. The attention gathers each rank's heads over the whole sequence first
    /// (Ulysses) and splits the output by tokens again.
    /// </summary>
    Tokens,

    /// <summary>
    /// Split by heads already: rank r holds <c>[B, H_r, S, D]</c>, heads <see cref="Shard.Split"/><c>(H, P)[r]</c>; no
    /// exchange is needed and the output keeps that split.
    /// </summary>
    Heads,
}
