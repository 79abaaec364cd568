using RectifiedSpaAttn.Reference;
using RectifiedSpaAttn.Tensors;

namespace RectifiedSpaAttn.Tests.Reference;

/// <summary>
/// A uniform pooled distribution over 4 equal key blocks (no text): <c>P_ij = 1/4</c>, and tau = 0.3 keeps blocks 0 and 1
/// (prefix 0.25 &lt;= 0.3, then ties to the lower index). What rectification does then depends on GAPR:
/// <list type="bullet">
/// <item>nothing compensable: every dropped block joins <c>Pi_i</c>, so <c>R_i = 1</c>, <c>C_i = 0</c> and the output is
/// the plain sparse output (step 8 as specified, and as the authors' code does it);</item>
/// <item>everything compensable: <c>R_i</c> = the kept fraction 1/2 and <c>C_i</c> adds the dropped blocks' pooled values;
/// with block-constant keys this reproduces dense attention exactly;</item>
/// <item>everything compensable and the dropped blocks' values averaging zero: <c>C_i = 0</c> and the output is
/// <c>R_i * Os</c> with <c>R_i</c> = the kept fraction (the spec's "uniform blocks" sanity property).</item>
/// </list>
/// </summary>
public class UniformBlockTests(ITestOutputHelper output)
{
    private const int Block = 4, Blocks = 4, Seq = Block * Blocks, Dim = 4;
    private static readonly RectifiedSpaAttnOptions Options = new() { QueryBlockSize = Block, KeyBlockSize = Block, DropRate = null, Tau = 0.3 };

    [Fact]
    public void NothingCompensableGivesThePlainSparseOutput()
    {
        var random = Seeded();
        // Every key block holds the same four vectors (in a different order): equal kbar, non-zero dk.
        double[][] shared = [.. Enumerable.Range(0, Block).Select(_ => Vector(random))];
        var k = Build(t => shared[(t + t / Block) % Block]);
        // Every query block is two +/- pairs: qbar = 0, so every gain |qbar . kbar| is 0 and nothing is compensable.
        double[][] pairs = [Vector(random), Vector(random), Vector(random), Vector(random)];
        var q = Build(t => pairs[t / Block].Select(x => t % 2 == 0 ? x : -x).ToArray());
        var v = HeadData.RandomTensor(random, 1, 1, Seq, Dim);

        ReferenceResult r = ExactReference.Rectified(q, k, v, Options);
        ReferenceResult plain = ExactReference.BlockSparse(q, k, v, Options);

        AssertUniformSelection(r);
        Assert.All(r.Compensable.Span.ToArray(), Assert.False);
        Assert.All(r.Rectification.Span.ToArray(), x => Assert.Equal(1.0, x, 14));
        Assert.All(r.Compensation.Span.ToArray(), x => Assert.Equal(0.0, x));
        Assert.True(HeadData.MaxDiff(plain.Output.Span.ToArray(), r.Output.Span.ToArray()) < 1e-14);
    }

    [Fact]
    public void EverythingCompensableScalesByTheKeptFractionAndRecoversDense()
    {
        var random = Seeded();
        double[] key = Vector(random);
        var k = Build(_ => key);                                          // kbar = key everywhere, dk = 0
        double[][] perBlock = [.. Enumerable.Range(0, Blocks).Select(_ => Vector(random))];
        var q = Build(t => perBlock[t / Block]);                          // dq = 0: error 0 < gain
        var v = HeadData.RandomTensor(random, 1, 1, Seq, Dim);

        ReferenceResult r = ExactReference.Rectified(q, k, v, Options);
        HostTensor<double> dense = ExactReference.DenseAttention(q, k, v);
        HostTensor<double> vbar = ReferenceSteps.Pool(v, Block, Seq).Means;

        AssertUniformSelection(r);
        Assert.All(r.Compensable.Span.ToArray(), Assert.True);
        for (int i = 0; i < Blocks; i++)
        {
            Assert.Equal(0.5, r.Rectification[0, 0, i], 14);
            for (int d = 0; d < Dim; d++) Assert.Equal(0.25 * (vbar[0, 0, 2, d] + vbar[0, 0, 3, d]), r.Compensation[0, 0, i, d], 14);
        }
        Assert.True(HeadData.MaxDiff(dense.Span.ToArray(), r.Output.Span.ToArray()) < 1e-14);
    }

    [Fact]
    public void EverythingCompensableWithZeroMeanDroppedValuesIsTheScaledSparseOutput()
    {
        var random = Seeded();
        double[] key = Vector(random);
        var k = Build(_ => key);
        double[][] perBlock = [.. Enumerable.Range(0, Blocks).Select(_ => Vector(random))];
        var q = Build(t => perBlock[t / Block]);
        var v = HeadData.RandomTensor(random, 1, 1, Seq, Dim);
        for (int t = 2 * Block; t < Seq; t += 2)   // values of the dropped blocks 2, 3 in +/- pairs: vbar = 0
            for (int d = 0; d < Dim; d++) v[0, 0, t + 1, d] = -v[0, 0, t, d];

        ReferenceResult r = ExactReference.Rectified(q, k, v, Options);
        ReferenceResult plain = ExactReference.BlockSparse(q, k, v, Options);

        AssertUniformSelection(r);
        Assert.All(r.Compensation.Span.ToArray(), x => Assert.Equal(0.0, x, 15));
        double[] expected = [.. plain.Output.Span.ToArray().Select(x => 0.5 * x)];
        Assert.True(HeadData.MaxDiff(expected, r.Output.Span.ToArray()) < 1e-14);
    }

    private static void AssertUniformSelection(ReferenceResult r)
    {
        Assert.All(r.BlockMass.Span.ToArray(), p => Assert.Equal(0.25, p, 14));
        for (int i = 0; i < Blocks; i++)
            Assert.Equal([true, true, false, false], r.Mask.Row(0, 0, i).ToArray());
    }

    private Random Seeded()
    {
        int seed = Random.Shared.Next();
        output.WriteLine($"seed {seed}");
        return new Random(seed);
    }

    private static double[] Vector(Random random) => [.. Enumerable.Range(0, Dim).Select(_ => 2 * random.NextDouble() - 1)];

    private static HostTensor<double> Build(Func<int, double[]> token)
    {
        var x = new HostTensor<double>(1, 1, Seq, Dim);
        for (int t = 0; t < Seq; t++) token(t).CopyTo(x.Row(0, 0, t));
        return x;
    }
}
