using FsCheck.Xunit;
using RectifiedSpaAttn.Reference;
using RectifiedSpaAttn.Tensors;

namespace RectifiedSpaAttn.Tests.Reference;

/// <summary>A caller-supplied critical mask replaces the selection and is used exactly as given.</summary>
public class SuppliedMaskTests(ITestOutputHelper output)
{
    [Property(Arbitrary = [typeof(ReferenceCases)], MaxTest = 30, QuietOnSuccess = true)]
    public void TheSuppliedMaskIsUsedUnchanged(ReferenceCase c)
    {
        var (q, k, v) = c.Inputs();
        var random = new Random(c.Seed);
        var supplied = new HostTensor<bool>(c.B, c.H, c.QueryBlocks, c.KeyBlocks);
        foreach (ref bool m in supplied.Span) m = random.NextDouble() < 0.3;   // rows may be empty; neighbours and first frame are not added
        bool[] original = supplied.Span.ToArray();

        ReferenceResult r = ExactReference.Rectified(q, k, v, c.Options(supplied));

        Assert.Equal(original, r.Mask.Span.ToArray());
        Assert.Equal(original, supplied.Span.ToArray());
        Assert.Equal(original.Count(m => m) / (double)Math.Max(1, original.Length), r.Density, 15);
        r.Mask.Span.Fill(true);
        Assert.Equal(original, supplied.Span.ToArray());   // the result does not alias the caller's tensor

        // The plain block-sparse run with the same mask computes the same Os, so R * Os + C reproduces the output.
        ReferenceResult plain = ExactReference.BlockSparse(q, k, v, c.Options(supplied));
        for (int b = 0; b < c.B; b++)
            for (int h = 0; h < c.H; h++)
                for (int t = 0; t < c.Visual; t++)
                {
                    int i = t / c.M;
                    double[] expected = plain.Output.Row(b, h, t).ToArray().Select((x, d) => r.Rectification[b, h, i] * x + r.Compensation[b, h, i, d]).ToArray();
                    Assert.True(HeadData.MaxDiff(expected, r.Output.Row(b, h, t).ToArray()) < 1e-13, $"token {t}: {c}");
                }
    }

    [Fact]
    public void AnEmptyRowWithoutTextGivesTheCompensationAlone()
    {
        int seed = Random.Shared.Next();
        output.WriteLine($"seed {seed}");
        var random = new Random(seed);
        var q = HeadData.RandomTensor(random, 1, 1, 8, 4);
        var k = HeadData.RandomTensor(random, 1, 1, 8, 4);
        var v = HeadData.RandomTensor(random, 1, 1, 8, 4);
        var mask = new HostTensor<bool>(1, 1, 2, 2);
        mask[0, 0, 1, 1] = true;   // row 0 keeps nothing
        ReferenceResult r = ExactReference.Rectified(q, k, v, new RectifiedSpaAttnOptions { QueryBlockSize = 4, KeyBlockSize = 4, CriticalMask = mask });
        for (int t = 0; t < 4; t++)
            Assert.Equal(r.Compensation.Row(0, 0, 0).ToArray(), r.Output.Row(0, 0, t).ToArray());
    }
}
