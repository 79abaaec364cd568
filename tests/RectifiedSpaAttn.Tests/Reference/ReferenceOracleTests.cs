using FsCheck.Xunit;
using RectifiedSpaAttn.Reference;
using RectifiedSpaAttn.Tensors;

namespace RectifiedSpaAttn.Tests.Reference;

/// <summary>
/// The library's reference against the brute-force oracle (a second implementation of the spec written differently),
/// on random shapes, block sizes (query != key too), partial last blocks, text slots with invalid ones, and every
/// selection option: every reported tensor must agree.
/// </summary>
public class ReferenceOracleTests
{
    private const double Tolerance = 1e-11;

    [Property(Arbitrary = [typeof(ReferenceCases)], MaxTest = 60, QuietOnSuccess = true)]
    public void RectifiedMatchesTheBruteForceOracle(ReferenceCase c) => Compare(c, rectify: true);

    [Property(Arbitrary = [typeof(ReferenceCases)], MaxTest = 30, QuietOnSuccess = true)]
    public void BlockSparseMatchesTheBruteForceOracle(ReferenceCase c) => Compare(c, rectify: false);

    [Property(Arbitrary = [typeof(ReferenceCases)], MaxTest = 30, QuietOnSuccess = true)]
    public void SuppliedMaskRunsMatchTheBruteForceOracle(ReferenceCase c)
    {
        var random = new Random(c.Seed);
        var supplied = new HostTensor<bool>(c.B, c.H, c.QueryBlocks, c.KeyBlocks);
        foreach (ref bool m in supplied.Span) m = random.NextDouble() < 0.4;
        Compare(c, rectify: true, supplied);
    }

    [Property(Arbitrary = [typeof(ReferenceCases)], MaxTest = 30, QuietOnSuccess = true)]
    public void DenseMatchesTheBruteForceOracle(ReferenceCase c)
    {
        var (q, k, v) = c.Inputs();
        HostTensor<double> dense = ExactReference.DenseAttention(q, k, v, c.Text, c.ValidText);
        HostTensor<double> qd = q.ToDouble(), kd = k.ToDouble(), vd = v.ToDouble();
        var all = new bool[c.QueryBlocks, c.KeyBlocks];
        for (int i = 0; i < c.QueryBlocks; i++)
            for (int j = 0; j < c.KeyBlocks; j++) all[i, j] = true;
        var settings = new BruteForceOracle.Settings(c.M, c.N, c.Text, c.ValidText, c.Tau, 0, 0, null, all, Rectify: false);
        for (int b = 0; b < c.B; b++)
            for (int h = 0; h < c.H; h++)
            {
                var expected = BruteForceOracle.Run(HeadData.Head(qd, b, h), HeadData.Head(kd, b, h), HeadData.Head(vd, b, h), settings);
                for (int t = 0; t < c.S; t++)
                    Assert.True(HeadData.MaxDiff(dense.Row(b, h, t).ToArray(), expected.Sparse[t]) < Tolerance, $"dense token {t}: {c} head ({b},{h})");
            }
    }

    private static void Compare(ReferenceCase c, bool rectify, HostTensor<bool>? supplied = null)
    {
        var (q, k, v) = c.Inputs();
        RectifiedSpaAttnOptions options = c.Options(supplied);
        ReferenceResult result = rectify ? ExactReference.Rectified(q, k, v, options) : ExactReference.BlockSparse(q, k, v, options);
        HostTensor<double> qd = q.ToDouble(), kd = k.ToDouble(), vd = v.ToDouble();
        int nK = c.KeyBlocks;

        for (int b = 0; b < c.B; b++)
            for (int h = 0; h < c.H; h++)
            {
                var settings = new BruteForceOracle.Settings(c.M, c.N, c.Text, c.ValidText, c.Tau, options.ResolveMinCriticalBlocks(nK),
                    c.FirstFrame, c.Neighbors ? HeadData.Matrix(c.NeighborMask()) : null, supplied is null ? null : HeadData.Matrix(supplied, b, h), rectify);
                var expected = BruteForceOracle.Run(HeadData.Head(qd, b, h), HeadData.Head(kd, b, h), HeadData.Head(vd, b, h), settings);
                string where = $"{c} head ({b},{h})";

                Assert.True(expected.Mask.Cast<bool>().SequenceEqual(HeadData.Matrix(result.Mask, b, h).Cast<bool>()), $"mask differs: {where}");
                Assert.True(expected.Compensable.Cast<bool>().SequenceEqual(HeadData.Matrix(result.Compensable, b, h).Cast<bool>()), $"compensable differs: {where}");
                for (int i = 0; i < c.QueryBlocks; i++)
                {
                    Assert.True(HeadData.MaxDiff(result.BlockMass.Row(b, h, i).ToArray(), Enumerable.Range(0, nK).Select(j => expected.BlockMass[i, j])) < Tolerance, $"P row {i}: {where}");
                    Assert.True(Math.Abs(result.TextMass[b, h, i] - expected.TextMass[i]) < Tolerance, $"T row {i}: {where}");
                    Assert.True(Math.Abs(result.Rectification[b, h, i] - expected.R[i]) < Tolerance, $"R row {i}: {where}");
                    Assert.True(HeadData.MaxDiff(result.Compensation.Row(b, h, i).ToArray(), expected.C[i]) < Tolerance, $"C row {i}: {where}");
                }
                for (int t = 0; t < c.S; t++)
                    Assert.True(HeadData.MaxDiff(result.Output.Row(b, h, t).ToArray(), expected.Output[t]) < Tolerance, $"output token {t}: {where}");
            }
        Assert.Equal(result.Mask.Span.ToArray().Count(m => m) / (double)Math.Max(1, result.Mask.Length), result.Density, 15);
    }
}
