using RectifiedSpaAttn.Video;
using RectifiedSpaAttn.Workloads;

namespace RectifiedSpaAttn.Tests.Workloads;

public class VideoWorkloadTests
{
    [Fact]
    public void DefaultsMatchTheDemo()
    {
        var options = new VideoWorkloadOptions();
        Assert.Equal(1, options.Seed);
        Assert.Equal(1, options.Batch);
        Assert.Equal(4, options.Heads);
        Assert.Equal(new VideoGrid(8, 16, 32), options.Grid);
        Assert.Equal(64, options.HeadDim);
        Assert.Equal(0, options.TextTokens);
        Assert.Null(options.ValidTextTokens);

        VideoWorkloadData data = VideoWorkload.Generate(options);

        Assert.Same(options, data.Options);
        Assert.Equal([1, 4, 4096, 64], data.Q.Shape.ToArray());
        Assert.Equal([1, 4, 4096, 64], data.K.Shape.ToArray());
        Assert.Equal([1, 4, 4096, 64], data.V.Shape.ToArray());
        Assert.Equal(4096, data.VisualTokens);
    }

    [Fact]
    public void SameOptionsGiveTheSameBits()
    {
        int seed = Random.Shared.Next();
        var options = new VideoWorkloadOptions { Seed = seed, Batch = 2, Heads = 3, Grid = new VideoGrid(3, 5, 7), HeadDim = 16, TextTokens = 6, ValidTextTokens = 4 };
        VideoWorkloadData a = VideoWorkload.Generate(options);
        VideoWorkloadData b = VideoWorkload.Generate(new VideoWorkloadOptions { Seed = seed, Batch = 2, Heads = 3, Grid = new VideoGrid(3, 5, 7), HeadDim = 16, TextTokens = 6, ValidTextTokens = 4 });

        Assert.True(a.Q.AsBytes().SequenceEqual(b.Q.AsBytes()), $"Q differs (seed {seed})");
        Assert.True(a.K.AsBytes().SequenceEqual(b.K.AsBytes()), $"K differs (seed {seed})");
        Assert.True(a.V.AsBytes().SequenceEqual(b.V.AsBytes()), $"V differs (seed {seed})");
        Assert.Equal(a.Sinks.Select(s => s.ToArray()), b.Sinks.Select(s => s.ToArray()));
    }

    [Fact]
    public void DifferentSeedsGiveDifferentWorkloads()
    {
        int seed = Random.Shared.Next(int.MaxValue);
        var grid = new VideoGrid(2, 4, 8);
        VideoWorkloadData a = VideoWorkload.Generate(new VideoWorkloadOptions { Seed = seed, Grid = grid });
        VideoWorkloadData b = VideoWorkload.Generate(new VideoWorkloadOptions { Seed = seed + 1, Grid = grid });
        Assert.False(a.Q.AsBytes().SequenceEqual(b.Q.AsBytes()), $"seeds {seed} and {seed + 1}");
        Assert.False(a.K.AsBytes().SequenceEqual(b.K.AsBytes()), $"seeds {seed} and {seed + 1}");
        Assert.False(a.V.AsBytes().SequenceEqual(b.V.AsBytes()), $"seeds {seed} and {seed + 1}");
    }

    [Fact]
    public void HeadsAndBatchItemsDiffer()
    {
        VideoWorkloadData data = VideoWorkload.Generate(new VideoWorkloadOptions { Batch = 2, Heads = 5, Grid = new VideoGrid(2, 4, 8), HeadDim = 8 });
        var slices = new HashSet<string>();
        for (int b = 0; b < 2; b++)
            for (int h = 0; h < 5; h++)
                slices.Add(string.Join(",", data.K.Row(b, h).ToArray()));
        Assert.Equal(10, slices.Count);
    }

    [Fact]
    public void ValuesAreFiniteAndOfModestScale()
    {
        int seed = Random.Shared.Next();
        VideoWorkloadData data = VideoWorkload.Generate(new VideoWorkloadOptions { Seed = seed, Heads = 2, Grid = new VideoGrid(4, 8, 16), TextTokens = 8 });
        foreach (var tensor in new[] { data.Q, data.K, data.V })
        {
            Assert.All(tensor.Data, x => Assert.True(float.IsFinite(x), $"non-finite value (seed {seed})"));
            double meanSquare = tensor.Data.Average(x => (double)x * x);
            Assert.InRange(meanSquare, 0.05, 50);
        }
    }

    [Fact]
    public void TextTokensComeLastAndValidOnesDrawMoreAttentionThanPadding()
    {
        int seed = Random.Shared.Next();
        var grid = new VideoGrid(2, 8, 8);
        var options = new VideoWorkloadOptions { Seed = seed, Heads = 2, Grid = grid, HeadDim = 32, TextTokens = 12, ValidTextTokens = 8 };
        VideoWorkloadData data = VideoWorkload.Generate(options);

        int n = grid.TokenCount, d = options.HeadDim;
        Assert.Equal([1, 2, n + 12, d], data.Q.Shape.ToArray());
        for (int h = 0; h < 2; h++)
        {
            // Mean logit of the visual queries against each kind of key: valid text keys share the queries' common
            // direction, padding does not.
            double valid = MeanLogit(data, h, n, n, n + 8), padding = MeanLogit(data, h, n, n + 8, n + 12);
            Assert.True(valid > padding + 1, $"head {h}: valid text logit {valid:F2}, padding {padding:F2} (seed {seed})");
            for (int t = n; t < n + 12; t++) Assert.Contains(data.V.Row(0, h, t).ToArray(), x => x != 0);
        }
    }

    [Fact]
    public void SinksAreDistinctVisualTokensThatDrawAttention()
    {
        int seed = Random.Shared.Next();
        var grid = new VideoGrid(4, 8, 8);
        var options = new VideoWorkloadOptions { Seed = seed, Heads = 2, Grid = grid, SinkCount = 5, SinkStrength = 6 };
        VideoWorkloadData data = VideoWorkload.Generate(options);

        IReadOnlyList<int> sinks = data.Sinks[0];
        Assert.Equal(5, sinks.Distinct().Count());
        Assert.All(sinks, s => Assert.InRange(s, 0, grid.TokenCount - 1));
        int n = grid.TokenCount;
        for (int h = 0; h < 2; h++)
        {
            double sinkLogit = sinks.Average(s => MeanLogit(data, h, n, s, s + 1));
            double overall = MeanLogit(data, h, n, 0, n);
            Assert.True(sinkLogit > overall + 3, $"head {h}: sinks {sinkLogit:F2} vs all {overall:F2} (seed {seed})");
        }
    }

    [Fact]
    public void BadOptionsAreRejectedByName()
    {
        Assert.Throws<ArgumentNullException>(() => VideoWorkload.Generate(null!));
        AssertRejects(new VideoWorkloadOptions { Batch = 0 }, "Batch");
        AssertRejects(new VideoWorkloadOptions { Heads = -1 }, "Heads");
        AssertRejects(new VideoWorkloadOptions { HeadDim = 0 }, "HeadDim");
        AssertRejects(new VideoWorkloadOptions { Grid = default }, "Grid");
        AssertRejects(new VideoWorkloadOptions { TextTokens = -2 }, "TextTokens");
        AssertRejects(new VideoWorkloadOptions { TextTokens = 4, ValidTextTokens = 5 }, "ValidTextTokens");
        AssertRejects(new VideoWorkloadOptions { SinkCount = -1 }, "SinkCount");
        AssertRejects(new VideoWorkloadOptions { Sharpness = double.NaN }, "Sharpness");
        AssertRejects(new VideoWorkloadOptions { LengthScale = 0 }, "LengthScale");
        AssertRejects(new VideoWorkloadOptions { ValueNoise = -1 }, "ValueNoise");
    }

    [Fact]
    public void TinyAndDegenerateShapesWork()
    {
        foreach (var (grid, d) in new[] { (new VideoGrid(1, 1, 1), 1), (new VideoGrid(1, 3, 5), 3), (new VideoGrid(7, 1, 1), 2), (new VideoGrid(2, 2, 2), 5) })
        {
            VideoWorkloadData data = VideoWorkload.Generate(new VideoWorkloadOptions { Grid = grid, HeadDim = d, Heads = 1, SinkCount = 1, TextTokens = 1 });
            Assert.Equal([1, 1, grid.TokenCount + 1, d], data.Q.Shape.ToArray());
            Assert.All(data.Q.Data, x => Assert.True(float.IsFinite(x)));
        }
    }

    private static double MeanLogit(VideoWorkloadData data, int h, int queries, int keyStart, int keyEnd)
    {
        int d = data.Options.HeadDim;
        Span<float> q = data.Q.Row(0, h), k = data.K.Row(0, h);
        double sum = 0;
        for (int i = 0; i < queries; i++)
            for (int j = keyStart; j < keyEnd; j++)
            {
                double z = 0;
                for (int c = 0; c < d; c++) z += (double)q[i * d + c] * k[j * d + c];
                sum += z / Math.Sqrt(d);
            }
        return sum / (queries * (keyEnd - keyStart));
    }

    private static void AssertRejects(VideoWorkloadOptions options, string name)
    {
        var ex = Assert.ThrowsAny<ArgumentException>(() => VideoWorkload.Generate(options));
        Assert.Contains(name, ex.Message);
    }
}
