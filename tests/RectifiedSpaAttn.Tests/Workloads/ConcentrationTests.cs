using RectifiedSpaAttn.Video;
using RectifiedSpaAttn.Workloads;

namespace RectifiedSpaAttn.Tests.Workloads;

/// <summary>
/// The workload must make attention as concentrated as a video diffusion transformer's: with the tokens in Gilbert
/// order, each query block's heaviest quarter of key blocks holds most (but not all) of its attention.
/// </summary>
public class ConcentrationTests
{
    // 4 x 16 x 16 = 1024 tokens in 16 blocks of 64: small enough for a double loop, large enough for block structure.
    private static readonly VideoGrid Grid = new(4, 16, 16);
    private const int Block = 64;

    [Fact]
    public void TopQuarterOfKeyBlocksHoldsMostButNotAllOfTheAttention()
    {
        int seed = Random.Shared.Next();
        var (heads, _) = Measure(seed);
        double mean = heads.Average(a => Enumerable.Range(0, a.Blocks).Average(i => a.TopMass(i, a.Blocks / 4)));
        Assert.InRange(mean, 0.75, 0.95);
        foreach (var a in heads)
        {
            double head = Enumerable.Range(0, a.Blocks).Average(i => a.TopMass(i, a.Blocks / 4));
            Assert.True(head is > 0.6 and < 0.99, $"a head's top-quarter mass is {head:F3} (seed {seed}, mean {mean:F3})");
        }
    }

    [Fact]
    public void PlainBlockSparsityHasAVisibleErrorThatBlockMeansCanRectify()
    {
        // Keep each query block's heaviest quarter of key blocks (an oracle selection, so the error is the bias of
        // block sparsity itself), then compare dense attention with plain block-sparse attention and with the
        // rectified form R * O_sparse + sum over dropped blocks of mass * mean value, using exact masses.
        int seed = Random.Shared.Next();
        var (heads, _) = Measure(seed);
        double plainError = 0, rectifiedError = 0, norm = 0;
        foreach (var a in heads)
        {
            for (int i = 0; i < a.Blocks; i++)
            {
                int keep = a.Blocks / 4;
                var kept = new bool[a.Blocks];
                foreach (int j in a.RankedKeyBlocks(i).Take(keep)) kept[j] = true;
                for (int t = i * Block; t < i * Block + a.BlockLength(i); t++)
                {
                    double[] sparse = a.SparseOutput(t, kept);
                    // Token-level masses of this query; the rectification uses them per block.
                    var dropped = new double[a.Dim];
                    double keptMass = 0;
                    for (int j = 0; j < a.Blocks; j++)
                    {
                        double mass = 0;
                        for (int u = j * Block; u < j * Block + a.BlockLength(j); u++) mass += a.Weights[t, u];
                        if (kept[j]) { keptMass += mass; continue; }
                        double[] mean = a.BlockMeanValue(j);
                        for (int c = 0; c < a.Dim; c++) dropped[c] += mass * mean[c];
                    }
                    for (int c = 0; c < a.Dim; c++)
                    {
                        double dense = a.Output[t * a.Dim + c];
                        double rectified = keptMass * sparse[c] + dropped[c];
                        plainError += Square(sparse[c] - dense);
                        rectifiedError += Square(rectified - dense);
                        norm += Square(dense);
                    }
                }
            }
        }
        double plain = Math.Sqrt(plainError / norm), rectifiedRel = Math.Sqrt(rectifiedError / norm);
        Assert.True(plain > 0.03, $"plain block-sparse relative L2 {plain:F4} is too small to see (seed {seed})");
        Assert.True(rectifiedRel < 0.8 * plain, $"rectified {rectifiedRel:F4} vs plain {plain:F4} (seed {seed})");
    }

    private static (DenseBlockAttention[] Heads, VideoWorkloadData Data) Measure(int seed)
    {
        VideoWorkloadData data = VideoWorkload.Generate(new VideoWorkloadOptions { Seed = seed, Grid = Grid });
        var layout = new VideoLayout(Grid, AxisOrder.Parse("wht"));
        var q = layout.Permute(data.Q);
        var k = layout.Permute(data.K);
        var v = layout.Permute(data.V);
        var heads = new DenseBlockAttention[data.Options.Heads];
        Parallel.For(0, heads.Length, h => heads[h] = new DenseBlockAttention(q, k, v, 0, h, Grid.TokenCount, Block));
        return (heads, data);
    }

    private static double Square(double x) => x * x;
}
