using System.Diagnostics;
using FsCheck;
using FsCheck.Fluent;
using RectifiedSpaAttn.Video;

namespace RectifiedSpaAttn.Tests.Video;

public class GilbertCurveTests
{
    // Measured over every grid up to 16^3 and every axis order, and over random grids up to 40^3: odd extents
    // produce steps of Chebyshev length at most 3 (the construction promises unit steps only for even extents).
    private const int MaxOddStep = 3;

    [Fact]
    public void EverySmallGridAndOrderGivesAPermutationWithBoundedSteps()
    {
        // Exhaustive over extents 1..8 (3072 grids): includes the degenerate extent-1 axes that the construction
        // itself cannot take as major.
        foreach (AxisOrder order in AxisOrder.All)
            for (int t = 1; t <= 8; t++)
                for (int h = 1; h <= 8; h++)
                    for (int w = 1; w <= 8; w++)
                        CheckCurve(new VideoGrid(t, h, w), order);
    }

    [Fact]
    public void RandomGridsGiveAPermutationWithBoundedSteps() =>
        Prop.ForAll(Arb.From(VideoGen.Grid(30)), Arb.From(VideoGen.Order), (grid, order) => CheckCurve(grid, order))
            .QuickCheckThrowOnFailure();

    [Fact]
    public void EvenGridsAreWalkedByFaceAdjacentSteps() =>
        Prop.ForAll(Arb.From(VideoGen.EvenGrid(12)), Arb.From(VideoGen.Order), (grid, order) =>
        {
            int[] tokens = GilbertCurve.TokensAlongCurve(grid, order);
            for (int c = 1; c < tokens.Length; c++)
            {
                var (manhattan, _) = Step(grid, tokens[c - 1], tokens[c]);
                Assert.True(manhattan == 1, $"{grid} {order}: step {c} from token {tokens[c - 1]} to {tokens[c]} is not face-adjacent");
            }
        }).QuickCheckThrowOnFailure();

    [Theory]
    [InlineData(21, 30, 52)]   // Wan 2.1 480p latents
    [InlineData(33, 45, 80)]   // HunyuanVideo 720p latents
    public void RealGridsAreAlmostAllUnitSteps(int t, int h, int w)
    {
        var grid = new VideoGrid(t, h, w);
        int[] tokens = GilbertCurve.TokensAlongCurve(grid, AxisOrder.Default);
        int longer = 0;
        for (int c = 1; c < tokens.Length; c++)
        {
            var (manhattan, chebyshev) = Step(grid, tokens[c - 1], tokens[c]);
            Assert.True(chebyshev <= 2, $"{grid}: step {c} has Chebyshev length {chebyshev}");
            if (manhattan > 1) longer++;
        }
        Assert.True(longer < tokens.Length / 100, $"{grid}: {longer} of {tokens.Length} steps are not face-adjacent");
    }

    [Fact]
    public void RunsFromTheOriginToTheFarEndOfTheMajorAxis() =>
        Prop.ForAll(Arb.From(VideoGen.Grid(20)), Arb.From(VideoGen.Order), (grid, order) =>
        {
            // The Hilbert-like template enters a cuboid at one corner and leaves at the neighbouring corner along its
            // major edge, which is what lets the sub-curves chain.
            int[] tokens = GilbertCurve.TokensAlongCurve(grid, order);
            VideoAxis major = order.Axes.ToArray().First(a => grid.Extent(a) > 1 || a == order.Minor);
            int end = major switch
            {
                VideoAxis.Width => grid.IndexOf(0, 0, grid.Width - 1),
                VideoAxis.Height => grid.IndexOf(0, grid.Height - 1, 0),
                _ => grid.IndexOf(grid.Frames - 1, 0, 0),
            };
            Assert.Equal(0, tokens[0]);
            Assert.Equal(end, tokens[^1]);
        }).QuickCheckThrowOnFailure();

    [Fact]
    public void CurvePositionsInvertTokensAlongCurve()
    {
        var grid = new VideoGrid(5, 7, 9);
        foreach (AxisOrder order in AxisOrder.All)
        {
            int[] tokens = GilbertCurve.TokensAlongCurve(grid, order);
            int[] positions = GilbertCurve.CurvePositions(grid, order);
            for (int c = 0; c < tokens.Length; c++) Assert.Equal(c, positions[tokens[c]]);
        }
    }

    [Fact]
    public void AxisOrderChangesTheCurve()
    {
        var grid = new VideoGrid(6, 6, 6);
        var curves = AxisOrder.All.Select(o => string.Join(",", GilbertCurve.TokensAlongCurve(grid, o))).ToHashSet();
        Assert.Equal(6, curves.Count);
    }

    [Fact]
    public void DefaultGridIsRejected() =>
        Assert.Throws<ArgumentException>(() => GilbertCurve.TokensAlongCurve(default, AxisOrder.Default));

    [Fact]
    public void LargeGridCurveAndNeighborMaskAreFast()
    {
        // The only timing assertion allowed: a generous bound for a 302400-token grid (well under a second expected).
        var grid = new VideoGrid(21, 90, 160);
        var watch = Stopwatch.StartNew();
        var layout = new VideoLayout(grid, AxisOrder.Default);
        var mask = layout.BlockNeighbors(128, 128);
        watch.Stop();
        Assert.Equal(2363, mask.Shape[0]);
        Assert.True(watch.Elapsed.TotalSeconds < 3, $"curve + neighbour mask took {watch.Elapsed.TotalMilliseconds:F0} ms");
    }

    private static void CheckCurve(VideoGrid grid, AxisOrder order)
    {
        int[] tokens = GilbertCurve.TokensAlongCurve(grid, order);
        Assert.Equal(grid.TokenCount, tokens.Length);
        var seen = new bool[tokens.Length];
        foreach (int token in tokens)
        {
            Assert.InRange(token, 0, tokens.Length - 1);
            Assert.False(seen[token], $"{grid} {order}: token {token} visited twice");
            seen[token] = true;
        }
        for (int c = 1; c < tokens.Length; c++)
        {
            var (manhattan, chebyshev) = Step(grid, tokens[c - 1], tokens[c]);
            Assert.True(manhattan >= 1 && chebyshev <= MaxOddStep,
                $"{grid} {order}: step {c} from token {tokens[c - 1]} to {tokens[c]} has Chebyshev length {chebyshev}");
        }
    }

    private static (int Manhattan, int Chebyshev) Step(VideoGrid grid, int from, int to)
    {
        var a = grid.CoordinatesOf(from);
        var b = grid.CoordinatesOf(to);
        int dt = Math.Abs(a.T - b.T), dy = Math.Abs(a.Y - b.Y), dx = Math.Abs(a.X - b.X);
        return (dt + dy + dx, Math.Max(dt, Math.Max(dy, dx)));
    }
}
