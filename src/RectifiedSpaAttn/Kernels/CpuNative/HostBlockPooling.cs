using System.Runtime.CompilerServices;
using RectifiedSpaAttn.Kernels.Attention;

namespace RectifiedSpaAttn.Kernels.CpuNative;

/// <summary>
/// Step 1 on the host: block means and mean absolute deviations, work items (head, block) in parallel. The kernel
/// (<c>BlockPoolingKernels.PoolBlocks</c>) gives each feature to one thread, which sums the block's tokens into four
/// partial sums (token t into sum t % 4, the tail into sum 0) and combines them as <c>(s0 + s1) + (s2 + s3)</c>; here
/// each vector lane is one feature and does exactly that, so the results are bit-identical to the kernel's.
/// </summary>
internal static unsafe class HostBlockPooling
{
    /// <summary>Pools every (head, block); views already validated.</summary>
    public static void Run<T, TOps, TVec>(AttentionShape shape, T* x, int blockSize, float* means, float* deviations, bool computeDeviations)
        where T : unmanaged where TOps : struct, ISimd<TVec> where TVec : unmanaged
    {
        int blocks = (shape.VisualTokens + blockSize - 1) / blockSize;
        Parallel.For(0, shape.HeadCount * blocks, item =>
            PoolBlock<T, TOps, TVec>(shape, x, blockSize, blocks, item, means, deviations, computeDeviations));
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void PoolBlock<T, TOps, TVec>(AttentionShape shape, T* x, int blockSize, int blocks, int item, float* means, float* deviations, bool computeDeviations)
        where T : unmanaged where TOps : struct, ISimd<TVec> where TVec : unmanaged
    {
        int dim = shape.HeadDim, head = item / blocks, block = item % blocks;
        int start = block * blockSize, count = Math.Min(blockSize, shape.VisualTokens - start);
        // The block's tokens are contiguous: widen 16-bit elements once into scratch, read fp32 in place.
        T* source = x + ((long)head * shape.SequenceLength + start) * dim;
        float* tokens;
        if (typeof(T) == typeof(float))
        {
            tokens = (float*)source;
        }
        else
        {
            tokens = EstimationScratch.Floats((long)count * dim);
            ElementRows.Load(source, tokens, count * dim);
        }
        long outAt = ((long)head * blocks + block) * dim;
        float* mean = means + outAt, deviation = computeDeviations ? deviations + outAt : null;
        int vectorEnd = dim / TOps.Width * TOps.Width;
        Features<TOps, TVec>(tokens, count, dim, 0, vectorEnd, mean, deviation);
        Features<SimdScalar, float>(tokens, count, dim, vectorEnd, dim, mean, deviation);
    }

    /// <summary>Means (and deviations when <paramref name="deviation"/> is not null) of features <c>[from, to)</c>, one lane per feature.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Features<TOps, TVec>(float* tokens, int count, int dim, int from, int to, float* mean, float* deviation)
        where TOps : struct, ISimd<TVec> where TVec : unmanaged
    {
        for (int d = from; d < to; d += TOps.Width)
        {
            TVec s0 = TOps.Zero, s1 = TOps.Zero, s2 = TOps.Zero, s3 = TOps.Zero;
            float* at = tokens + d;
            int t = 0;
            for (; t + 4 <= count; t += 4, at += 4 * dim)
            {
                s0 = TOps.Add(s0, TOps.Load(at));
                s1 = TOps.Add(s1, TOps.Load(at + dim));
                s2 = TOps.Add(s2, TOps.Load(at + 2 * dim));
                s3 = TOps.Add(s3, TOps.Load(at + 3 * dim));
            }
            for (; t < count; t++, at += dim) s0 = TOps.Add(s0, TOps.Load(at));
            TOps.Store(mean + d, TOps.Add(TOps.Add(s0, s1), TOps.Add(s2, s3)));
            // A true division per feature, as the kernel does (a reciprocal multiply would round differently).
            for (int f = d; f < d + TOps.Width; f++) mean[f] /= count;
            if (deviation is null) continue;

            TVec m = TOps.Load(mean + d);
            s0 = s1 = s2 = s3 = TOps.Zero;
            at = tokens + d;
            t = 0;
            for (; t + 4 <= count; t += 4, at += 4 * dim)
            {
                s0 = TOps.Add(s0, AbsoluteDifference<TOps, TVec>(TOps.Load(at), m));
                s1 = TOps.Add(s1, AbsoluteDifference<TOps, TVec>(TOps.Load(at + dim), m));
                s2 = TOps.Add(s2, AbsoluteDifference<TOps, TVec>(TOps.Load(at + 2 * dim), m));
                s3 = TOps.Add(s3, AbsoluteDifference<TOps, TVec>(TOps.Load(at + 3 * dim), m));
            }
            for (; t < count; t++, at += dim) s0 = TOps.Add(s0, AbsoluteDifference<TOps, TVec>(TOps.Load(at), m));
            TOps.Store(deviation + d, TOps.Add(TOps.Add(s0, s1), TOps.Add(s2, s3)));
            for (int f = d; f < d + TOps.Width; f++) deviation[f] /= count;
        }
    }

    /// <summary>|x - m|: IEEE subtraction is exactly antisymmetric, so max(x - m, m - x) equals the kernel's MathF.Abs(x - m).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TVec AbsoluteDifference<TOps, TVec>(TVec x, TVec m) where TOps : struct, ISimd<TVec> where TVec : unmanaged
        => TOps.Max(TOps.Subtract(x, m), TOps.Subtract(m, x));
}
