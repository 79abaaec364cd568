using RectifiedSpaAttn.Reference;
using RectifiedSpaAttn.Tensors;

namespace RectifiedSpaAttn.Tests.Reference;

/// <summary>
/// Partial last blocks: every mean is over the block's valid tokens only, IPAR weighs a block column by its real token
/// count, and no padding exists to receive attention weight.
/// </summary>
public class PartialBlockTests
{
    [Fact]
    public void PoolingAveragesOnlyTheValidTokensOfTheLastBlock()
    {
        // One head, 5 visual tokens + 1 text slot, D = 2; blocks of 2: {0,1}, {2,3}, {4}.
        var x = new HostTensor<double>([1, 10, 3, 20, /**/ 5, -2, 9, 2, /**/ 7, 8, /**/ 100, 100], 1, 1, 6, 2);
        BlockStatistics stats = ReferenceSteps.Pool(x, blockSize: 2, visualTokens: 5);

        Assert.Equal([1, 1, 3, 2], stats.Means.Shape.ToArray());
        Assert.Equal([2, 15, 7, 0, 7, 8], stats.Means.Span.ToArray());
        Assert.Equal([1, 5, 2, 2, 0, 0], stats.MeanAbsoluteDeviations.Span.ToArray());
    }

    [Fact]
    public void IparWeighsEachBlockColumnByItsTokenCount()
    {
        // 3 visual tokens in key blocks of 2 and 1 whose pooled logits are equal (all keys identical): pi = (1/2, 1/2),
        // so P = (2 * 1/2, 1 * 1/2) / 1.5 = (2/3, 1/3).
        var q = new HostTensor<double>([1, 0, 0.5, 0.5, -1, 2], 1, 1, 3, 2);
        var k = new HostTensor<double>([1, 1, 1, 1, 1, 1], 1, 1, 3, 2);
        ReferenceResult r = ExactReference.Rectified(q, k, q, new RectifiedSpaAttnOptions { QueryBlockSize = 3, KeyBlockSize = 2, Tau = 0, DropRate = null });
        Assert.Equal(2.0 / 3, r.BlockMass[0, 0, 0, 0], 15);
        Assert.Equal(1.0 / 3, r.BlockMass[0, 0, 0, 1], 15);
    }

    [Fact]
    public void ReferenceMatchesAWrittenOutComputationOnAPartialBlockCase()
    {
        // S_vis = 3 with M = N = 2: query block 1 and key block 1 hold one token each. D = 1 keeps the arithmetic readable.
        double[] qv = [0.2, -0.4, 1.0], kv = [0.5, 1.5, -2.0], vv = [1.0, 2.0, 4.0];
        var q = new HostTensor<double>(qv, 1, 1, 3, 1);
        var k = new HostTensor<double>(kv, 1, 1, 3, 1);
        var v = new HostTensor<double>(vv, 1, 1, 3, 1);
        var options = new RectifiedSpaAttnOptions { QueryBlockSize = 2, KeyBlockSize = 2, MinCriticalBlocks = 1, Tau = 0 };
        ReferenceResult r = ExactReference.Rectified(q, k, v, options);

        // Pooled: qbar = (-0.1, 1.0), kbar = (1.0, -2.0), vbar = (1.5, 4.0); dq = (0.3, 0), dk = (0.5, 0).
        double[] qbar = [-0.1, 1.0], kbar = [1.0, -2.0], vbar = [1.5, 4.0], dq = [0.3, 0], dk = [0.5, 0];
        for (int i = 0; i < 2; i++)
        {
            double a0 = qbar[i] * kbar[0], a1 = qbar[i] * kbar[1];                 // sqrt(D) = 1
            double w0 = 2 * Math.Exp(a0), w1 = 1 * Math.Exp(a1);                  // n_j * exp; the softmax denominator cancels
            double p0 = w0 / (w0 + w1), p1 = w1 / (w0 + w1);
            Assert.Equal(p0, r.BlockMass[0, 0, i, 0], 14);
            Assert.Equal(p1, r.BlockMass[0, 0, i, 1], 14);

            int top = p0 >= p1 ? 0 : 1;                                            // k_min = 1, tau = 0: the heaviest block
            Assert.Equal(top == 0, r.Mask[0, 0, i, 0]);
            Assert.Equal(top == 1, r.Mask[0, 0, i, 1]);
            int other = 1 - top;
            bool compensable = Math.Abs(qbar[i] * kbar[other]) > Math.Abs(dq[i] * kbar[other]) + Math.Abs(qbar[i] * dk[other]);
            Assert.Equal(compensable, r.Compensable[0, 0, i, other]);
            double pOther = other == 0 ? p0 : p1;
            double rect = compensable ? 1 - pOther : 1;
            double comp = compensable ? pOther * vbar[other] : 0;
            Assert.Equal(rect, r.Rectification[0, 0, i], 14);

            // Token-level sparse attention over the kept block's real tokens only (no padding token).
            int[] keys = top == 0 ? [0, 1] : [2];
            for (int t = 2 * i; t < Math.Min(2 * i + 2, 3); t++)
            {
                double[] e = keys.Select(u => Math.Exp(qv[t] * kv[u])).ToArray();
                double os = keys.Select((u, n) => e[n] * vv[u]).Sum() / e.Sum();
                Assert.Equal(rect * os + comp, r.Output[0, 0, t, 0], 13);
            }
        }
    }
}
