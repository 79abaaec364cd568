using FsCheck.Xunit;
using RectifiedSpaAttn.Reference;
using RectifiedSpaAttn.Tensors;

namespace RectifiedSpaAttn.Tests.Reference;

/// <summary>Invalid text slots are never attended to and their output rows are zero; valid text keys always are.</summary>
public class TextSlotTests(ITestOutputHelper output)
{
    [Property(Arbitrary = [typeof(ReferenceCases)], MaxTest = 30, QuietOnSuccess = true)]
    public void InvalidSlotsAreNeverAttended(ReferenceCase c)
    {
        if (c.Text == c.ValidText) return;
        var (q, k, v) = c.Inputs();
        HostTensor<double> q2 = q.ToDouble(), k2 = k.ToDouble(), v2 = v.ToDouble();
        var random = new Random(c.Seed);
        // Anything at all in the invalid slots, including huge keys that would dominate any softmax they entered.
        for (int b = 0; b < c.B; b++)
            for (int h = 0; h < c.H; h++)
                for (int t = c.Visual + c.ValidText; t < c.S; t++)
                    foreach (HostTensor<double> x in new[] { q2, k2, v2 })
                        foreach (ref double e in x.Row(b, h, t)) e = 1e3 * (random.NextDouble() - 0.5);

        foreach (bool rectify in new[] { true, false })
        {
            ReferenceResult before = rectify ? ExactReference.Rectified(q, k, v, c.Options()) : ExactReference.BlockSparse(q, k, v, c.Options());
            ReferenceResult after = rectify ? ExactReference.Rectified(q2, k2, v2, c.Options()) : ExactReference.BlockSparse(q2, k2, v2, c.Options());
            Assert.True(before.Output.Span.SequenceEqual(after.Output.Span), $"output depends on invalid slots (rectify {rectify}): {c}");
            Assert.True(before.Mask.Span.SequenceEqual(after.Mask.Span), $"mask depends on invalid slots: {c}");
            Assert.True(before.TextMass.Span.SequenceEqual(after.TextMass.Span), $"text mass depends on invalid slots: {c}");
            for (int b = 0; b < c.B; b++)
                for (int h = 0; h < c.H; h++)
                    for (int t = c.Visual + c.ValidText; t < c.S; t++)
                        Assert.True(after.Output.Row(b, h, t).ToArray().All(x => x == 0), $"invalid row {t} not zero: {c}");
        }
        Assert.True(ExactReference.DenseAttention(q, k, v, c.Text, c.ValidText).Span.SequenceEqual(ExactReference.DenseAttention(q2, k2, v2, c.Text, c.ValidText).Span),
            $"dense depends on invalid slots: {c}");
    }

    [Fact]
    public void ValidTextKeysAreAttendedEvenWhenNoBlockIs()
    {
        // Visual tokens see only the text key when the supplied mask keeps no block: their sparse output is its value.
        int seed = Random.Shared.Next();
        output.WriteLine($"seed {seed}");
        var random = new Random(seed);
        var q = HeadData.RandomTensor(random, 1, 1, 9, 4);
        var k = HeadData.RandomTensor(random, 1, 1, 9, 4);
        var v = HeadData.RandomTensor(random, 1, 1, 9, 4);
        var none = new HostTensor<bool>(1, 1, 2, 2);
        ReferenceResult r = ExactReference.BlockSparse(q, k, v, new RectifiedSpaAttnOptions
        {
            QueryBlockSize = 4, KeyBlockSize = 4, TextTokens = 2, ValidTextTokens = 1, CriticalMask = none,
        });
        for (int t = 0; t < 7; t++)
            Assert.Equal(v.Row(0, 0, 7).ToArray(), r.Output.Row(0, 0, t).ToArray());
    }

    [Fact]
    public void AllTextAndNoVisualTokensIsDenseOverTheValidText()
    {
        int seed = Random.Shared.Next();
        output.WriteLine($"seed {seed}");
        var random = new Random(seed);
        var q = HeadData.RandomTensor(random, 1, 2, 5, 8);
        var k = HeadData.RandomTensor(random, 1, 2, 5, 8);
        var v = HeadData.RandomTensor(random, 1, 2, 5, 8);
        ReferenceResult r = ExactReference.Rectified(q, k, v, new RectifiedSpaAttnOptions { QueryBlockSize = 4, KeyBlockSize = 4, TextTokens = 5, ValidTextTokens = 3 });
        HostTensor<double> dense = ExactReference.DenseAttention(q, k, v, 5, 3);
        Assert.Equal([1, 2, 0, 0], r.Mask.Shape.ToArray());
        Assert.Equal(0, r.Density);
        Assert.True(HeadData.MaxDiff(dense.Span.ToArray(), r.Output.Span.ToArray()) < 1e-14);
        Assert.True(r.Output.Row(0, 1, 4).ToArray().All(x => x == 0));
    }
}
