using FsCheck.Xunit;
using RectifiedSpaAttn.Reference;
using RectifiedSpaAttn.Tensors;

namespace RectifiedSpaAttn.Tests.Reference;

/// <summary>
/// Heads and batch items are independent problems: permuting them permutes every result the same way, and changing one
/// head's inputs changes no other head's results. Each head's arithmetic is the same whatever the others hold, so the
/// comparisons are exact.
/// </summary>
public class EquivarianceTests
{
    [Property(Arbitrary = [typeof(ReferenceCases)], MaxTest = 25, QuietOnSuccess = true)]
    public void PermutingHeadsPermutesEveryResult(ReferenceCase c) => CheckPermutation(c, axis: 1, c.H);

    [Property(Arbitrary = [typeof(ReferenceCases)], MaxTest = 25, QuietOnSuccess = true)]
    public void PermutingBatchItemsPermutesEveryResult(ReferenceCase c) => CheckPermutation(c, axis: 0, c.B);

    [Property(Arbitrary = [typeof(ReferenceCases)], MaxTest = 25, QuietOnSuccess = true)]
    public void ChangingOneHeadLeavesTheOthersUnchanged(ReferenceCase c)
    {
        var (q, k, v) = c.Inputs();
        HostTensor<double> q2 = q.ToDouble(), k2 = k.ToDouble(), v2 = v.ToDouble();
        int changedB = c.Seed % c.B, changedH = c.Seed / 7 % c.H;
        var random = new Random(c.Seed);
        foreach (HostTensor<double> x in new[] { q2, k2, v2 })
            foreach (ref double e in x.Row(changedB, changedH)) e = 3 * random.NextDouble() - 1.5;

        ReferenceResult before = ExactReference.Rectified(q, k, v, c.Options());
        ReferenceResult after = ExactReference.Rectified(q2, k2, v2, c.Options());
        for (int b = 0; b < c.B; b++)
            for (int h = 0; h < c.H; h++)
            {
                if (b == changedB && h == changedH) continue;
                Assert.True(before.Output.Row(b, h).SequenceEqual(after.Output.Row(b, h)), $"head ({b},{h}) output changed: {c}");
                Assert.True(before.Mask.Row(b, h).SequenceEqual(after.Mask.Row(b, h)), $"head ({b},{h}) mask changed: {c}");
                Assert.True(before.Rectification.Row(b, h).SequenceEqual(after.Rectification.Row(b, h)), $"head ({b},{h}) R changed: {c}");
            }
    }

    private static void CheckPermutation(ReferenceCase c, int axis, int extent)
    {
        var (q, k, v) = c.Inputs();
        HostTensor<double> qd = q.ToDouble(), kd = k.ToDouble(), vd = v.ToDouble();
        int[] order = Enumerable.Range(0, extent).ToArray();
        var random = new Random(c.Seed);
        random.Shuffle(order);

        // A supplied mask must travel with its head, so permute it too.
        var supplied = new HostTensor<bool>(c.B, c.H, c.QueryBlocks, c.KeyBlocks);
        foreach (ref bool m in supplied.Span) m = random.NextDouble() < 0.5;
        foreach (HostTensor<bool>? mask in new[] { null, supplied })
        {
            ReferenceResult plain = ExactReference.Rectified(qd, kd, vd, c.Options(mask));
            ReferenceResult permuted = ExactReference.Rectified(
                HeadData.PermuteAxis(qd, axis, order), HeadData.PermuteAxis(kd, axis, order), HeadData.PermuteAxis(vd, axis, order),
                c.Options(mask is null ? null : HeadData.PermuteAxis(mask, axis, order)));
            string where = $"order [{string.Join(",", order)}] on axis {axis}, supplied mask {mask is not null}: {c}";
            Assert.True(HeadData.PermuteAxis(plain.Output, axis, order).Span.SequenceEqual(permuted.Output.Span), $"output: {where}");
            Assert.True(HeadData.PermuteAxis(plain.Mask, axis, order).Span.SequenceEqual(permuted.Mask.Span), $"mask: {where}");
            Assert.True(HeadData.PermuteAxis(plain.BlockMass, axis, order).Span.SequenceEqual(permuted.BlockMass.Span), $"P: {where}");
            Assert.True(HeadData.PermuteAxis(plain.Compensation, axis, order).Span.SequenceEqual(permuted.Compensation.Span), $"C: {where}");
            Assert.True(HeadData.PermuteAxis(plain.Compensable, axis, order).Span.SequenceEqual(permuted.Compensable.Span), $"compensable: {where}");
        }
    }
}
