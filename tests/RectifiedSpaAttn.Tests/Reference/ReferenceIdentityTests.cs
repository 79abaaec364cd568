using FsCheck.Xunit;
using RectifiedSpaAttn.Reference;
using RectifiedSpaAttn.Tensors;

namespace RectifiedSpaAttn.Tests.Reference;

/// <summary>The identities the spec's formulas imply, checked on random cases.</summary>
public class ReferenceIdentityTests
{
    private const double Tolerance = 1e-12;

    [Property(Arbitrary = [typeof(ReferenceCases)], MaxTest = 40, QuietOnSuccess = true)]
    public void MassesRectificationAndCompensationSatisfyTheirIdentities(ReferenceCase c)
    {
        var (q, k, v) = c.Inputs();
        ReferenceResult r = ExactReference.Rectified(q, k, v, c.Options());
        HostTensor<double> vbar = ReferenceSteps.Pool(v.ToDouble(), c.N, c.Visual).Means;
        for (int b = 0; b < c.B; b++)
            for (int h = 0; h < c.H; h++)
                for (int i = 0; i < c.QueryBlocks; i++)
                {
                    ReadOnlySpan<double> p = r.BlockMass.Row(b, h, i);
                    double t = r.TextMass[b, h, i], rect = r.Rectification[b, h, i], dropped = 0;
                    var expectedC = new double[c.D];
                    double total = t;
                    for (int j = 0; j < c.KeyBlocks; j++)
                    {
                        Assert.True(p[j] >= 0, $"negative P: {c}");
                        total += p[j];
                        if (r.Mask[b, h, i, j] || !r.Compensable[b, h, i, j]) continue;
                        dropped += p[j];
                        for (int d = 0; d < c.D; d++) expectedC[d] += p[j] * vbar[b, h, j, d];
                    }
                    Assert.True(Math.Abs(total - 1) < Tolerance, $"sum_j P_ij + T_i = {total}: {c}");
                    Assert.True(c.ValidText > 0 || t == 0, $"text mass {t} without valid text: {c}");
                    Assert.True(rect > 0 && rect <= 1 + Tolerance, $"R = {rect} outside (0, 1]: {c}");
                    Assert.True(Math.Abs(rect + dropped - 1) < Tolerance, $"R + dropped mass = {rect + dropped}: {c}");
                    Assert.True(HeadData.MaxDiff(r.Compensation.Row(b, h, i).ToArray(), expectedC) < Tolerance, $"C differs: {c}");
                }
    }

    [Property(Arbitrary = [typeof(ReferenceCases)], MaxTest = 40, QuietOnSuccess = true)]
    public void SelectionHonoursMinimumNeighboursAndFirstFrame(ReferenceCase c)
    {
        var (q, k, v) = c.Inputs();
        RectifiedSpaAttnOptions options = c.Options();
        ReferenceResult r = ExactReference.BlockSparse(q, k, v, options);
        int nK = c.KeyBlocks, kMin = options.ResolveMinCriticalBlocks(nK);
        int textEntry = c.ValidText > 0 ? 1 : 0;
        HostTensor<bool>? neighbors = options.NeighborMask;
        for (int b = 0; b < c.B; b++)
            for (int h = 0; h < c.H; h++)
                for (int i = 0; i < c.QueryBlocks; i++)
                {
                    int count = 0;
                    for (int j = 0; j < nK; j++)
                    {
                        bool critical = r.Mask[b, h, i, j];
                        if (critical) count++;
                        if (neighbors is not null && neighbors[i, j]) Assert.True(critical, $"neighbour ({i},{j}) not critical: {c}");
                        if (i < c.FirstFrame && j < c.FirstFrame) Assert.True(critical, $"first-frame ({i},{j}) not critical: {c}");
                    }
                    // The text entry may take one of the k_min places; it is the only entry that is not a block.
                    Assert.True(count >= Math.Min(kMin, nK + textEntry) - textEntry, $"row {i} keeps {count} < k_min {kMin}: {c}");
                    Assert.True(count >= 1 - textEntry, $"row {i} keeps nothing: {c}");
                }
    }

    [Property(Arbitrary = [typeof(ReferenceCases)], MaxTest = 30, QuietOnSuccess = true)]
    public void TextQueriesAreDenseAndInvalidSlotsAreZero(ReferenceCase c)
    {
        var (q, k, v) = c.Inputs();
        HostTensor<double> dense = ExactReference.DenseAttention(q, k, v, c.Text, c.ValidText);
        ReferenceResult r = ExactReference.Rectified(q, k, v, c.Options());
        for (int b = 0; b < c.B; b++)
            for (int h = 0; h < c.H; h++)
                for (int t = c.Visual; t < c.S; t++)
                {
                    double[] row = r.Output.Row(b, h, t).ToArray();
                    if (t < c.Visual + c.ValidText)
                        Assert.True(HeadData.MaxDiff(row, dense.Row(b, h, t).ToArray()) < Tolerance, $"text row {t} not dense: {c}");
                    else
                        Assert.True(row.All(x => x == 0) && dense.Row(b, h, t).ToArray().All(x => x == 0), $"invalid text row {t} not zero: {c}");
                }
    }

    [Property(Arbitrary = [typeof(ReferenceCases)], MaxTest = 40, QuietOnSuccess = true)]
    public void EverythingCriticalGivesDenseAttention(ReferenceCase c)
    {
        var (q, k, v) = c.Inputs();
        HostTensor<double> dense = ExactReference.DenseAttention(q, k, v, c.Text, c.ValidText);
        int nK = c.KeyBlocks;
        // k_min = nK means everything only without a text entry, which could otherwise take one of the places.
        int textEntry = c.ValidText > 0 ? 1 : 0;
        var everything = new List<RectifiedSpaAttnOptions>
        {
            Copy(c, tau: 1.0, kMin: null, drop: 0.9),
            Copy(c, tau: double.PositiveInfinity, kMin: null, drop: null),
            Copy(c, tau: 0.0, kMin: nK + textEntry, drop: null),
        };
        if (textEntry == 0) everything.Add(Copy(c, tau: 0.0, kMin: null, drop: 0.0));
        foreach (RectifiedSpaAttnOptions options in everything)
        {
            ReferenceResult r = ExactReference.Rectified(q, k, v, options);
            Assert.True(r.Mask.Span.ToArray().All(m => m), $"not all critical (tau {options.Tau}, kmin {options.MinCriticalBlocks}, drop {options.DropRate}): {c}");
            Assert.True(r.Rectification.Span.ToArray().All(x => Math.Abs(x - 1) < Tolerance), $"R != 1: {c}");
            Assert.True(r.Compensation.Span.ToArray().All(x => x == 0), $"C != 0: {c}");
            Assert.True(HeadData.MaxDiff(r.Output.Span.ToArray(), dense.Span.ToArray()) < Tolerance, $"rectified != dense: {c}");
            ReferenceResult s = ExactReference.BlockSparse(q, k, v, options);
            Assert.True(HeadData.MaxDiff(s.Output.Span.ToArray(), dense.Span.ToArray()) < Tolerance, $"block-sparse != dense: {c}");
        }
    }

    private static RectifiedSpaAttnOptions Copy(ReferenceCase c, double tau, int? kMin, double? drop) => new()
    {
        QueryBlockSize = c.M,
        KeyBlockSize = c.N,
        Tau = tau,
        MinCriticalBlocks = kMin,
        DropRate = drop,
        TextTokens = c.Text,
        ValidTextTokens = c.ValidText,
    };
}
