using RectifiedSpaAttn.Reference;
using RectifiedSpaAttn.Tensors;

namespace RectifiedSpaAttn.Tests.Reference;

/// <summary>The selection rule of step 5 on hand-computed rows (masses chosen as exact binary fractions).</summary>
public class SelectionRuleTests
{
    private static (bool[] Critical, int Kept) Select(double[] masses, double? text, double tau, int kMin)
    {
        var critical = new bool[masses.Length];
        int kept = ReferenceSteps.SelectCriticalBlocks(masses, text, tau, kMin, critical);
        return (critical, kept);
    }

    private static void Expect(bool[] critical, int kept, double[] masses, double? text, double tau, int kMin)
    {
        var (actual, actualKept) = Select(masses, text, tau, kMin);
        Assert.Equal(critical, actual);
        Assert.Equal(kept, actualKept);
    }

    [Fact]
    public void KeepsEntriesUntilThePrefixSumPassesTau()
    {
        // Sorted: 0.5 (1), 0.25 (2), 0.125 (0), 0.125 (3); prefix sums 0.5, 0.75, 0.875, 1.
        double[] row = [0.125, 0.5, 0.25, 0.125];
        Expect([false, true, false, false], 1, row, null, 0.3, 0);   // no prefix sum <= 0.3: c = 1
        Expect([false, true, true, false], 2, row, null, 0.5, 0);    // 0.5 <= 0.5 counts: c = 2
        Expect([false, true, true, false], 2, row, null, 0.7, 0);
        Expect([true, true, true, false], 3, row, null, 0.75, 0);    // ties at 0.125: lower index 0 first
        Expect([true, true, true, true], 4, row, null, 0.9, 0);      // c = 4, capped at the row length
    }

    [Fact]
    public void MinimumCountRaisesAndRowLengthCaps()
    {
        double[] row = [0.125, 0.5, 0.25, 0.125];
        Expect([false, true, true, false], 2, row, null, 0.0, 2);
        Expect([true, true, true, false], 3, row, null, 0.0, 3);
        Expect([true, true, true, true], 4, row, null, 0.0, 99);
        Expect([false, true, true, false], 2, row, null, 0.5, 1);    // k_min below c changes nothing
    }

    [Fact]
    public void EqualMassesGoToTheLowerIndex()
    {
        double[] row = [0.25, 0.25, 0.25, 0.25];
        Expect([true, true, false, false], 2, row, null, 0.0, 2);
        Expect([true, false, false, false], 1, row, null, 0.2, 0);
        double[] late = [0.125, 0.375, 0.125, 0.375];
        Expect([false, true, false, true], 2, late, null, 0.0, 2);
        Expect([true, true, false, true], 3, late, null, 0.0, 3);
    }

    [Fact]
    public void TheTextEntryTakesAPlaceAndLosesTies()
    {
        // Text mass 0.5 sorts first: with tau below it, c = 1 is the text entry alone and no block is critical.
        Expect([false, false, false], 1, [0.25, 0.125, 0.125], 0.5, 0.4, 0);
        Expect([true, false, false], 2, [0.25, 0.125, 0.125], 0.5, 0.4, 2);
        // A tie with block 1 (both 0.375): the text entry counts as index nK = 2, so block 1 comes first.
        Expect([false, true], 1, [0.25, 0.375], 0.375, 0.0, 1);
        Expect([false, true], 2, [0.25, 0.375], 0.375, 0.0, 2);
        Expect([true, true], 3, [0.25, 0.375], 0.375, 0.0, 3);
        // A zero text mass sorts after every block: the result is that of the row without it.
        Expect([true, true, false, false], 2, [0.25, 0.25, 0.25, 0.25], 0.0, 0.0, 2);
    }

    [Fact]
    public void TauOfOneKeepsTheWholeRowDespiteRounding()
    {
        // 0.1 ten times sums to 0.9999999999999999 and 0.7 + 0.2 + 0.1 to 1.0000000000000002-like values in other
        // orders; tau >= 1 must keep every entry whatever the rounding.
        Assert.Equal(10, Select(Enumerable.Repeat(0.1, 10).ToArray(), null, 1.0, 0).Kept);
        Assert.Equal(4, Select([0.1, 0.2, 0.3, 0.4 + 1e-15], null, 1.0, 0).Kept);
        Assert.All(Select([0.3, 0.3, 0.3], 0.1 + 1e-15, 1.0, 0).Critical, Assert.True);
        Assert.Equal(4, Select([0.3, 0.3, 0.3], 0.1 + 1e-15, 1.0, 0).Kept);
    }

    [Fact]
    public void RowArgumentsAreChecked()
    {
        Assert.Throws<ArgumentException>(() => Select([0.5, double.NaN], null, 0.3, 0));
        Assert.Throws<ArgumentException>(() => Select([0.5, 0.5], null, double.NaN, 0));
        Assert.Throws<ArgumentException>(() => Select([0.5, 0.5], null, -0.1, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => Select([0.5, 0.5], null, 0.3, -1));
        Assert.Throws<ArgumentException>(() => ReferenceSteps.SelectCriticalBlocks([0.5, 0.5], null, 0.3, 0, new bool[3]));
    }

    [Fact]
    public void NeighboursAndFirstFrameBlocksAreAdded()
    {
        // One head, 3 query blocks x 4 key blocks, no text. Row masses put everything on one block per row.
        var layout = new BlockLayout(sequenceLength: 8, textTokens: 0, validTextTokens: 0, queryBlockSize: 3, keyBlockSize: 2);
        var p = new HostTensor<double>([0, 0, 0, 1, /**/ 0, 0, 1, 0, /**/ 0, 1, 0, 0], 1, 1, 3, 4);
        var t = new HostTensor<double>(1, 1, 3);
        var neighbor = new HostTensor<bool>(3, 4);
        neighbor[2, 2] = true;
        var options = new RectifiedSpaAttnOptions { Tau = 0, DropRate = null, FirstFrameBlocks = 2, NeighborMask = neighbor };

        HostTensor<bool> mask = ReferenceSteps.SelectCriticalBlocks(p, t, layout, options);

        bool[] expected =
        [
            true, true, false, true,    // first frame (i < 2: j < 2) + the heaviest block 3
            true, true, true, false,    // first frame + block 2
            false, true, true, false,   // not in the first frame (i = 2); block 1 + neighbour (2, 2)
        ];
        Assert.Equal(expected, mask.Span.ToArray());
    }

    [Fact]
    public void MinimumCountComesFromTheDropRateUnlessGiven()
    {
        Assert.Equal(2, new RectifiedSpaAttnOptions { DropRate = 0.75 }.ResolveMinCriticalBlocks(8));
        Assert.Equal(2, new RectifiedSpaAttnOptions { DropRate = 0.75 }.ResolveMinCriticalBlocks(11));   // floor(2.75)
        Assert.Equal(2, new RectifiedSpaAttnOptions { DropRate = 0.8 }.ResolveMinCriticalBlocks(10));    // 1.9999999999999996 in binary
        Assert.Equal(1, new RectifiedSpaAttnOptions { DropRate = 0.9 }.ResolveMinCriticalBlocks(10));
        Assert.Equal(10, new RectifiedSpaAttnOptions { DropRate = 0.0 }.ResolveMinCriticalBlocks(10));
        Assert.Equal(0, new RectifiedSpaAttnOptions { DropRate = 1.0 }.ResolveMinCriticalBlocks(10));
        Assert.Equal(5, new RectifiedSpaAttnOptions { DropRate = 0.1, MinCriticalBlocks = 5 }.ResolveMinCriticalBlocks(10));
        Assert.Equal(0, new RectifiedSpaAttnOptions { DropRate = null }.ResolveMinCriticalBlocks(10));
    }
}
