namespace RectifiedSpaAttn.Distributed;

/// <summary>A contiguous range <c>[Start, Start + Count)</c> of tokens or heads held by one rank.</summary>
/// <param name="Start">The first index.</param>
/// <param name="Count">How many.</param>
public readonly record struct Shard(int Start, int Count)
{
    /// <summary>
    /// Splits <paramref name="total"/> items over <paramref name="parts"/> ranks in order: each gets
    /// <c>total / parts</c>, and the first <c>total % parts</c> ranks one more (so heads that do not divide evenly, and
    /// sequences of any length, are allowed).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="total"/> is negative or <paramref name="parts"/> below 1.</exception>
    public static Shard[] Split(int total, int parts)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(total);
        ArgumentOutOfRangeException.ThrowIfLessThan(parts, 1);
        var shards = new Shard[parts];
        int start = 0;
        for (int r = 0; r < parts; r++)
        {
            int count = total / parts + (r < total % parts ? 1 : 0);
            shards[r] = new Shard(start, count);
            start += count;
        }
        return shards;
    }
}
