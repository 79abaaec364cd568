using RectifiedSpaAttn.Compute;
using RectifiedSpaAttn.Numerics;

namespace RectifiedSpaAttn.Kernels.Attention.Estimation;

/// <summary>
/// Step 1 (and GAPR's deviations, step 6): per-block means and mean absolute deviations of the visual tokens.
/// One group per (block, head); its threads stride over the head dimension, so a warp reads one token's consecutive
/// features (coalesced) and no barrier is needed. Two passes over the block (mean, then |x - mean|) keep the deviation
/// exact to fp32 rounding; the block is small (64-128 tokens) and the second pass hits the cache.
/// </summary>
internal static partial class BlockPoolingKernels
{
    /// <summary>
    /// Grid (blocks, B*H). means[h, j, d] = mean of x[h, t, d] over the valid tokens t of block j; when
    /// <paramref name="computeDeviations"/> is non-zero, deviations[h, j, d] = mean of |x[h, t, d] - means[h, j, d]|.
    /// </summary>
    [Kernel]
    [Specialize("T", typeof(float), typeof(Half), typeof(BFloat16))]
    public static void PoolBlocks<T>(ArrayView<T> x, ArrayView<float> means, ArrayView<float> deviations,
        int sequenceLength, int visualTokens, int headDim, int blockSize, int computeDeviations) where T : unmanaged
    {
        int block = Grid.IdxX, head = Grid.IdxY;
        int start = block * blockSize;
        int count = Math.Min(blockSize, visualTokens - start);
        long tokenBase = ((long)head * sequenceLength + start) * headDim;
        long outBase = ((long)head * Grid.DimX + block) * headDim;
        for (int d = Group.IdxX; d < headDim; d += Group.DimX)
        {
            // Four independent partial sums keep four loads in flight per thread (the block's tokens are D apart).
            float sum0 = 0f, sum1 = 0f, sum2 = 0f, sum3 = 0f;
            long at = tokenBase + d;
            int t = 0;
            while (t + 4 <= count)
            {
                sum0 += Element.ToFloat(x[at]);
                sum1 += Element.ToFloat(x[at + headDim]);
                sum2 += Element.ToFloat(x[at + 2 * headDim]);
                sum3 += Element.ToFloat(x[at + 3 * headDim]);
                at += 4 * headDim;
                t += 4;
            }
            while (t < count)
            {
                sum0 += Element.ToFloat(x[at]);
                at += headDim;
                t++;
            }
            float sum = (sum0 + sum1) + (sum2 + sum3);
            float mean = sum / count;
            means[outBase + d] = mean;
            if (computeDeviations != 0)
            {
                float spread0 = 0f, spread1 = 0f, spread2 = 0f, spread3 = 0f;
                at = tokenBase + d;
                t = 0;
                while (t + 4 <= count)
                {
                    spread0 += MathF.Abs(Element.ToFloat(x[at]) - mean);
                    spread1 += MathF.Abs(Element.ToFloat(x[at + headDim]) - mean);
                    spread2 += MathF.Abs(Element.ToFloat(x[at + 2 * headDim]) - mean);
                    spread3 += MathF.Abs(Element.ToFloat(x[at + 3 * headDim]) - mean);
                    at += 4 * headDim;
                    t += 4;
                }
                while (t < count)
                {
                    spread0 += MathF.Abs(Element.ToFloat(x[at]) - mean);
                    at += headDim;
                    t++;
                }
                float spread = (spread0 + spread1) + (spread2 + spread3);
                deviations[outBase + d] = spread / count;
            }
        }
    }
}
