using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using RectifiedSpaAttn.Compute.Collectives;
using RectifiedSpaAttn.Distributed;

namespace RectifiedSpaAttn.Tests.Distributed;

/// <summary>
/// The Ulysses transfer lists against plain index arithmetic: applied to host arrays, tokens -> heads must give each
/// rank exactly <c>X[:, heads_p, :, :]</c>, and heads -> tokens must give back <c>X[:, :, tokens_r, :]</c>.
/// </summary>
public class UlyssesExchangeTests
{
    [Property(MaxTest = 200)]
    public void BothExchangesMoveEveryElementToItsPlace(PositiveInt batch, PositiveInt heads, PositiveInt tokens, PositiveInt dim, PositiveInt ranks)
    {
        int b = batch.Get % 3 + 1, h = heads.Get % 9 + 1, s = tokens.Get % 40 + 1, d = dim.Get % 5 + 1, p = ranks.Get % 6 + 1;
        var exchange = new UlyssesExchange(b, h, s, d, p);
        int[] x = Enumerable.Range(1, b * h * s * d).ToArray();

        int[][] tokenSplit = [.. exchange.Tokens.Select(t => Slice(x, b, h, s, d, heads: new Shard(0, h), t))];
        int[][] headSplit = [.. exchange.Heads.Select(hs => new int[b * hs.Count * s * d])];
        Apply(exchange.TokensToHeads(), tokenSplit, headSplit);
        for (int r = 0; r < p; r++)
            Assert.Equal(Slice(x, b, h, s, d, exchange.Heads[r], new Shard(0, s)), headSplit[r]);

        int[][] back = [.. exchange.Tokens.Select(t => new int[b * h * t.Count * d])];
        Apply(exchange.HeadsToTokens(), headSplit, back);
        for (int r = 0; r < p; r++) Assert.Equal(tokenSplit[r], back[r]);
    }

    [Fact]
    public void OneRankIsOneTransferAndOneHeadPerRankMergesContiguousRuns()
    {
        // P = 1: the whole tensor is contiguous on both sides.
        Assert.Equal([new Transfer(0, 0, 0, 0, 2 * 3 * 10 * 4)], new UlyssesExchange(2, 3, 10, 4, 1).TokensToHeads());
        // Every (sender, receiver, batch, head) piece is S_r * D elements; none is empty.
        IReadOnlyList<Transfer> plan = new UlyssesExchange(1, 5, 7, 2, 3).TokensToHeads();
        Assert.All(plan, t => Assert.True(t.Count > 0));
        Assert.Equal(3 * 5, plan.Count);
    }

    /// <summary><c>X[:, heads, tokens, :]</c> of a <c>[B, H, S, D]</c> array, contiguous.</summary>
    internal static int[] Slice(int[] x, int b, int h, int s, int d, Shard heads, Shard tokens)
    {
        var slice = new List<int>();
        for (int bi = 0; bi < b; bi++)
            for (int hi = heads.Start; hi < heads.Start + heads.Count; hi++)
                slice.AddRange(x.AsSpan(((bi * h + hi) * s + tokens.Start) * d, tokens.Count * d).ToArray());
        return [.. slice];
    }

    private static void Apply(IReadOnlyList<Transfer> transfers, int[][] sources, int[][] destinations)
    {
        foreach (Transfer t in transfers)
            sources[t.SourceRank].AsSpan((int)t.SourceOffset, (int)t.Count).CopyTo(destinations[t.DestinationRank].AsSpan((int)t.DestinationOffset));
    }
}
