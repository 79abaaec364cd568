using System.Runtime.CompilerServices;
using RectifiedSpaAttn.Kernels.Attention;
using RectifiedSpaAttn.Kernels.Attention.Estimation;

namespace RectifiedSpaAttn.Kernels.CpuNative;

/// <summary>
/// Step 1 on the host: block means and mean absolute deviations, work items (head, block) in parallel. The kernel
/// (<c>BlockPoolingKernels.PoolInputs</c>) gives feature d and every slots-th token from slot r to one thread
/// (<c>slots = GroupSize / D</c>, 1 for wider heads), which sums them into eight partial sums (walk step u into sum
/// u % 8, the tail into sum 0) folded as a tree, and then adds the slots' sums in slot order; here each vector lane is
/// one feature and does exactly that, so the results are bit-identical to the kernel's.
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
        int slots = Math.Max(1, BlockPoolingKernels.GroupSize / dim);
        for (int d = from; d < to; d += TOps.Width)
        {
            TVec total = SlotSum<TOps, TVec>(tokens + d, count, dim, 0, slots, TOps.Zero, false);
            for (int r = 1; r < slots; r++) total = TOps.Add(total, SlotSum<TOps, TVec>(tokens + d, count, dim, r, slots, TOps.Zero, false));
            TOps.Store(mean + d, total);
            // A true division per feature, as the kernel does (a reciprocal multiply would round differently).
            for (int f = d; f < d + TOps.Width; f++) mean[f] /= count;
            if (deviation is null) continue;

            TVec m = TOps.Load(mean + d);
            total = SlotSum<TOps, TVec>(tokens + d, count, dim, 0, slots, m, true);
            for (int r = 1; r < slots; r++) total = TOps.Add(total, SlotSum<TOps, TVec>(tokens + d, count, dim, r, slots, m, true));
            TOps.Store(deviation + d, total);
            for (int f = d; f < d + TOps.Width; f++) deviation[f] /= count;
        }
    }

    /// <summary>The kernel's SlotSum: tokens slot, slot + slots, ... in eight partial sums, folded as a tree.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TVec SlotSum<TOps, TVec>(float* feature, int count, int dim, int slot, int slots, TVec center, bool absolute)
        where TOps : struct, ISimd<TVec> where TVec : unmanaged
    {
        TVec s0 = TOps.Zero, s1 = TOps.Zero, s2 = TOps.Zero, s3 = TOps.Zero, s4 = TOps.Zero, s5 = TOps.Zero, s6 = TOps.Zero, s7 = TOps.Zero;
        long step = (long)slots * dim;
        float* p = feature + (long)slot * dim;
        int t = slot;
        for (; t + 7 * slots < count; t += 8 * slots, p += 8 * step)
        {
            s0 = TOps.Add(s0, Term<TOps, TVec>(TOps.Load(p), center, absolute));
            s1 = TOps.Add(s1, Term<TOps, TVec>(TOps.Load(p + step), center, absolute));
            s2 = TOps.Add(s2, Term<TOps, TVec>(TOps.Load(p + 2 * step), center, absolute));
            s3 = TOps.Add(s3, Term<TOps, TVec>(TOps.Load(p + 3 * step), center, absolute));
            s4 = TOps.Add(s4, Term<TOps, TVec>(TOps.Load(p + 4 * step), center, absolute));
            s5 = TOps.Add(s5, Term<TOps, TVec>(TOps.Load(p + 5 * step), center, absolute));
            s6 = TOps.Add(s6, Term<TOps, TVec>(TOps.Load(p + 6 * step), center, absolute));
            s7 = TOps.Add(s7, Term<TOps, TVec>(TOps.Load(p + 7 * step), center, absolute));
        }
        for (; t < count; t += slots, p += step) s0 = TOps.Add(s0, Term<TOps, TVec>(TOps.Load(p), center, absolute));
        return TOps.Add(TOps.Add(TOps.Add(s0, s1), TOps.Add(s2, s3)), TOps.Add(TOps.Add(s4, s5), TOps.Add(s6, s7)));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TVec Term<TOps, TVec>(TVec x, TVec center, bool absolute) where TOps : struct, ISimd<TVec> where TVec : unmanaged
        => absolute ? AbsoluteDifference<TOps, TVec>(x, center) : x;

    /// <summary>|x - m|: IEEE subtraction is exactly antisymmetric, so max(x - m, m - x) equals the kernel's MathF.Abs(x - m).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TVec AbsoluteDifference<TOps, TVec>(TVec x, TVec m) where TOps : struct, ISimd<TVec> where TVec : unmanaged
        => TOps.Max(TOps.Subtract(x, m), TOps.Subtract(m, x));
}
