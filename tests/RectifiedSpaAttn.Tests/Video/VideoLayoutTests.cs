using FsCheck;
using FsCheck.Fluent;
using RectifiedSpaAttn.Tensors;
using RectifiedSpaAttn.Video;

namespace RectifiedSpaAttn.Tests.Video;

public class VideoLayoutTests
{
    private sealed record Case(VideoGrid Grid, AxisOrder Order, int Batch, int Heads, int TextTokens, int Dim);

    private static readonly Gen<Case> Cases =
        from grid in VideoGen.Grid(7)
        from order in VideoGen.Order
        from batch in Gen.Choose(1, 2)
        from heads in Gen.Choose(1, 3)
        from text in Gen.Choose(0, 9)
        from dim in Gen.Choose(1, 5)
        select new Case(grid, order, batch, heads, text, dim);

    [Fact]
    public void PermuteThenUnpermuteRestoresTheInputAndKeepsTextTokensInPlace() =>
        Prop.ForAll(Arb.From(Cases), c =>
        {
            int seed = Random.Shared.Next();
            var layout = new VideoLayout(c.Grid, c.Order);
            int s = c.Grid.TokenCount + c.TextTokens;
            HostTensor<float> x = RandomTensor(seed, c.Batch, c.Heads, s, c.Dim);

            HostTensor<float> permuted = layout.Permute(x);
            HostTensor<float> restored = layout.Unpermute(permuted);

            Assert.True(x.Span.SequenceEqual(restored.Span), $"round trip differs for {c} (seed {seed})");
            for (int b = 0; b < c.Batch; b++)
                for (int h = 0; h < c.Heads; h++)
                {
                    for (int p = 0; p < c.Grid.TokenCount; p++)
                        Assert.True(x.Row(b, h, layout.TokensAlongCurve[p]).SequenceEqual(permuted.Row(b, h, p)), $"{c} position {p} (seed {seed})");
                    for (int t = c.Grid.TokenCount; t < s; t++)
                        Assert.True(x.Row(b, h, t).SequenceEqual(permuted.Row(b, h, t)), $"{c}: text token {t} moved (seed {seed})");
                }
        }).QuickCheckThrowOnFailure();

    [Fact]
    public void SpanOverloadsMatchTheTensorOverloads() =>
        Prop.ForAll(Arb.From(Cases), c =>
        {
            int seed = Random.Shared.Next();
            var layout = new VideoLayout(c.Grid, c.Order);
            int s = c.Grid.TokenCount + c.TextTokens;
            HostTensor<double> x = RandomTensor(seed, 1, 1, s, c.Dim).ToDouble();
            var permuted = new double[x.Length];
            var restored = new double[x.Length];

            layout.Permute<double>(x.Span, permuted, c.Dim);
            layout.Unpermute<double>(permuted, restored, c.Dim);

            Assert.Equal(layout.Permute(x).Data, permuted);
            Assert.Equal(x.Data, restored);
        }).QuickCheckThrowOnFailure();

    [Fact]
    public void WorksForEveryElementType()
    {
        var layout = new VideoLayout(new VideoGrid(2, 3, 4));
        var x = new HostTensor<RectifiedSpaAttn.Numerics.BFloat16>(1, 1, 24, 2);
        for (int i = 0; i < x.Length; i++) x.Span[i] = RectifiedSpaAttn.Numerics.BFloat16.FromSingle(i);
        Assert.Equal(x.Data, layout.Unpermute(layout.Permute(x)).Data);
        var h = new HostTensor<Half>(1, 1, 24, 1);
        for (int i = 0; i < h.Length; i++) h.Span[i] = (Half)i;
        Assert.Equal((Half)layout.TokensAlongCurve[5], layout.Permute(h).Span[5]);
    }

    [Fact]
    public void LargeInputsArePermutedInParallelCorrectly()
    {
        int seed = Random.Shared.Next();
        var layout = new VideoLayout(new VideoGrid(4, 16, 16));
        HostTensor<float> x = RandomTensor(seed, 2, 4, 1024 + 3, 128);
        Assert.True(x.Span.SequenceEqual(layout.Unpermute(layout.Permute(x)).Span), $"seed {seed}");
    }

    [Fact]
    public void TooFewTokensIsAnArgumentErrorNamingTheCounts()
    {
        var layout = new VideoLayout(new VideoGrid(2, 6, 8));
        var ex = Assert.Throws<ArgumentException>(() => layout.Permute(new HostTensor<float>(1, 1, 95, 4)));
        Assert.Contains("95", ex.Message);
        Assert.Contains("96", ex.Message);
        Assert.Throws<ArgumentException>(() => layout.Unpermute(new HostTensor<float>(1, 1, 10, 4)));
        Assert.Throws<ArgumentException>(() => layout.Permute<float>(new float[95 * 4], new float[95 * 4], 4));
    }

    [Fact]
    public void WrongRankIsAnArgumentError()
    {
        var layout = new VideoLayout(new VideoGrid(2, 6, 8));
        var ex = Assert.Throws<ArgumentException>(() => layout.Permute(new HostTensor<float>(96, 4)));
        Assert.Contains("rank 2", ex.Message);
        Assert.Throws<ArgumentException>(() => layout.Unpermute(new HostTensor<float>(1, 1, 1, 96, 4)));
    }

    [Fact]
    public void BadSpansAreArgumentErrors()
    {
        var layout = new VideoLayout(new VideoGrid(1, 2, 2));
        var buffer = new float[32];
        Assert.Throws<ArgumentException>(() => layout.Permute<float>(new float[16], new float[12], 4));   // lengths differ
        Assert.Throws<ArgumentException>(() => layout.Permute<float>(new float[18], new float[18], 4));   // not whole rows
        Assert.Throws<ArgumentException>(() => layout.Permute<float>(buffer.AsSpan(0, 16), buffer.AsSpan(8, 16), 4)); // overlap
        Assert.ThrowsAny<ArgumentOutOfRangeException>(() => layout.Permute<float>(new float[16], new float[16], 0));
    }

    [Fact]
    public void FirstFrameBlocksIsKeyBlocksPerFrameRoundedDown()
    {
        Assert.Equal(32 / 8, VideoLayout.FirstFrameBlocks(new VideoGrid(8, 16, 32), 128));
        // Wan 2.1 480p: 21 x 30 x 52 = 32760 tokens, 256 key blocks of 128 -> 12 per frame.
        Assert.Equal(12, VideoLayout.FirstFrameBlocks(new VideoGrid(21, 30, 52), 128));
        Assert.Equal(0, VideoLayout.FirstFrameBlocks(new VideoGrid(5, 2, 2), 64));  // one block for five frames
        Assert.Equal(1, VideoLayout.FirstFrameBlocks(new VideoGrid(3, 7, 7), 64));  // 147 tokens -> 3 blocks
        Assert.ThrowsAny<ArgumentOutOfRangeException>(() => VideoLayout.FirstFrameBlocks(new VideoGrid(1, 1, 1), 0));
    }

    [Fact]
    public void TheDefaultConstructorUsesTheReferenceAxisOrder()
    {
        var layout = new VideoLayout(new VideoGrid(3, 4, 5));
        Assert.Equal("wht", layout.Order.ToString());
        Assert.Equal(new VideoGrid(3, 4, 5), layout.Grid);
        Assert.Equal(60, layout.TokenCount);
    }

    private static HostTensor<float> RandomTensor(int seed, params int[] shape)
    {
        var random = new Random(seed);
        var x = new HostTensor<float>(shape);
        foreach (ref float v in x.Span) v = (float)random.NextDouble();
        return x;
    }
}
