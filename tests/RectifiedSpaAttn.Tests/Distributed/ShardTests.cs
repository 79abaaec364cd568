using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using RectifiedSpaAttn.Distributed;

namespace RectifiedSpaAttn.Tests.Distributed;

public class ShardTests
{
    [Property]
    public bool SplitCoversEveryItemOnceInOrderAndEvenly(NonNegativeInt total, PositiveInt parts)
    {
        int n = total.Get % 100_000, p = parts.Get % 64 + 1;
        Shard[] shards = Shard.Split(n, p);
        int next = 0;
        foreach (Shard s in shards)
        {
            if (s.Start != next) return false;
            next += s.Count;
        }
        int min = shards.Min(s => s.Count), max = shards.Max(s => s.Count);
        // Larger shards first, never more than one apart.
        bool ordered = shards.Zip(shards.Skip(1)).All(pair => pair.First.Count >= pair.Second.Count);
        return next == n && shards.Length == p && max - min <= 1 && ordered;
    }

    [Fact]
    public void HeadsThatDoNotDivideGoToTheFirstRanks()
    {
        Assert.Equal([new Shard(0, 14), new Shard(14, 13), new Shard(27, 13)], Shard.Split(40, 3));
        Assert.Equal([new Shard(0, 1), new Shard(1, 1), new Shard(2, 0)], Shard.Split(2, 3));
        Assert.Throws<ArgumentOutOfRangeException>(() => Shard.Split(4, 0));
    }
}
