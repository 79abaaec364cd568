using FsCheck;
using FsCheck.Fluent;
using RectifiedSpaAttn.Video;

namespace RectifiedSpaAttn.Tests.Video;

public class BlockNeighborTests
{
    [Fact]
    public void EqualBlockSizesGiveASymmetricMaskWithATrueDiagonal() =>
        Prop.ForAll(Arb.From(VideoGen.Grid(10)), Arb.From(VideoGen.Order), Arb.From(Gen.Choose(1, 70)), (grid, order, block) =>
        {
            var mask = new VideoLayout(grid, order).BlockNeighbors(block, block);
            int n = mask.Shape[0];
            Assert.Equal((grid.TokenCount + block - 1) / block, n);
            Assert.Equal(n, mask.Shape[1]);
            for (int i = 0; i < n; i++)
            {
                Assert.True(mask[i, i], $"{grid} {order} block {block}: diagonal {i} is false");
                for (int j = 0; j < n; j++) Assert.Equal(mask[i, j], mask[j, i]);
            }
        }).QuickCheckThrowOnFailure();

    [Fact]
    public void MatchesABruteForceOverTokenPairsForAnyBlockSizes() =>
        Prop.ForAll(Arb.From(VideoGen.Grid(6)), Arb.From(VideoGen.Order), Arb.From(Gen.Choose(1, 40).Two()),
            (grid, order, blocks) =>
            {
                var (queryBlock, keyBlock) = blocks;
                var layout = new VideoLayout(grid, order);
                var mask = layout.BlockNeighbors(queryBlock, keyBlock);
                int nQ = (grid.TokenCount + queryBlock - 1) / queryBlock, nK = (grid.TokenCount + keyBlock - 1) / keyBlock;
                var expected = new bool[nQ, nK];
                for (int u = 0; u < grid.TokenCount; u++)
                    for (int v = 0; v < grid.TokenCount; v++)
                    {
                        var a = grid.CoordinatesOf(u);
                        var b = grid.CoordinatesOf(v);
                        if (Math.Abs(a.T - b.T) <= 1 && Math.Abs(a.Y - b.Y) <= 1 && Math.Abs(a.X - b.X) <= 1)
                            expected[layout.CurvePositions[u] / queryBlock, layout.CurvePositions[v] / keyBlock] = true;
                    }
                Assert.Equal([nQ, nK], mask.Shape.ToArray());
                for (int i = 0; i < nQ; i++)
                    for (int j = 0; j < nK; j++)
                        Assert.True(expected[i, j] == mask[i, j], $"{grid} {order} M={queryBlock} N={keyBlock}: [{i}, {j}]");
            }).QuickCheckThrowOnFailure();

    [Fact]
    public void CurveBlocksHaveFewNeighborsOnALargeGrid()
    {
        // The point of the curve: a block of 128 tokens is a compact region, so it touches only a handful of others.
        var mask = new VideoLayout(new VideoGrid(16, 32, 32)).BlockNeighbors(128, 128);
        int n = mask.Shape[0];
        double mean = mask.Span.ToArray().Count(m => m) / (double)n;
        Assert.InRange(mean, 3, 30);
    }

    [Fact]
    public void NonPositiveBlockSizesAreRejected()
    {
        var layout = new VideoLayout(new VideoGrid(2, 2, 2));
        Assert.ThrowsAny<ArgumentOutOfRangeException>(() => layout.BlockNeighbors(0, 4));
        Assert.ThrowsAny<ArgumentOutOfRangeException>(() => layout.BlockNeighbors(4, -1));
    }
}
