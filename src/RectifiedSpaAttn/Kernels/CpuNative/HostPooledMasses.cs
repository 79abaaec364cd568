using System.Runtime.CompilerServices;
using RectifiedSpaAttn.Kernels.Attention;

namespace RectifiedSpaAttn.Kernels.CpuNative;

/// <summary>
/// Steps 2-4 on the host: pooled logits against every key block and valid text key, row softmax and IPAR, one
/// query-block row per work item. The pooled keys (and widened text keys) of each head are first transposed
/// (<see cref="TransposedColumns"/>) so that a vector holds consecutive columns and every lane sums its dot product over
/// features sequentially, multiply then add, as the kernel's thread does; exp is <see cref="MathF.Exp"/> like the
/// kernel's, and the row totals follow <see cref="KernelOrder"/>. So the masses equal the emulated kernel's bit for bit.
/// </summary>
internal static unsafe class HostPooledMasses
{
    /// <summary>Writes blockMass and textMass for every row; views already validated.</summary>
    public static void Run<T, TOps, TVec>(AttentionShape shape, float* queryMeans, float* keyMeans, T* k, float* blockMass, float* textMass)
        where T : unmanaged where TOps : struct, ISimd<TVec> where TVec : unmanaged
    {
        int dim = shape.HeadDim, nQ = shape.QueryBlocks, nK = shape.KeyBlocks, columns = nK + shape.ValidTextTokens;
        int stride = (columns + TOps.Width - 1) / TOps.Width * TOps.Width;
        using var keys = new TransposedColumns(shape.HeadCount, dim, stride);
        Parallel.For(0, shape.HeadCount, head =>
        {
            TransposedColumns.Scatter(keyMeans + (long)head * nK * dim, nK, dim, keys.Head(head), stride, 0);
            if (shape.ValidTextTokens == 0) return;
            float* text = EstimationScratch.Floats((long)shape.ValidTextTokens * dim);
            ElementRows.Load(k + ((long)head * shape.SequenceLength + shape.VisualTokens) * dim, text, shape.ValidTextTokens * dim);
            TransposedColumns.Scatter(text, shape.ValidTextTokens, dim, keys.Head(head), stride, nK);
        });
        float scale = (float)(1.0 / Math.Sqrt(dim));
        Parallel.For(0, shape.HeadCount * nQ, row =>
            Row<TOps, TVec>(shape, queryMeans + (long)row * dim, keys.Head(row / nQ), stride, scale, blockMass + (long)row * nK, textMass + row));
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Row<TOps, TVec>(AttentionShape shape, float* q, float* keys, int stride, float scale, float* blockMass, float* textMass)
        where TOps : struct, ISimd<TVec> where TVec : unmanaged
    {
        int nK = shape.KeyBlocks, columns = nK + shape.ValidTextTokens, blockSize = shape.KeyBlockSize, visual = shape.VisualTokens;
        float* logits = EstimationScratch.Floats(stride + 2L * KernelOrder.Group);
        float* visualParts = logits + stride, textParts = visualParts + KernelOrder.Group;
        Logits<TOps, TVec>(q, keys, shape.HeadDim, stride, scale, logits);

        float max = float.NegativeInfinity;
        for (int c = 0; c < columns; c++) max = MathF.Max(max, logits[c]);
        new Span<float>(visualParts, 2 * KernelOrder.Group).Clear();
        for (int c = 0; c < columns; c++)
        {
            float e = MathF.Exp(logits[c] - max);
            if (c < nK)
            {
                // IPAR: a block column stands for its n_j tokens (the last block may be partial).
                float weighted = Math.Min(blockSize, visual - c * blockSize) * e;
                logits[c] = weighted;
                visualParts[c % KernelOrder.Group] += weighted;
            }
            else
            {
                textParts[c % KernelOrder.Group] += e;
            }
        }
        float visualTotal = KernelOrder.TreeSum(visualParts), textTotal = KernelOrder.TreeSum(textParts);
        float inverse = 1f / (visualTotal + textTotal);
        // A plain loop, not TensorPrimitives: its generic instantiations start as slow tier-0 code (docs/cpu-attention.md).
        for (int c = 0; c < nK; c++) blockMass[c] = logits[c] * inverse;
        *textMass = textTotal * inverse;
    }

    /// <summary>
    /// logits[c] = (sum over d of q[d] * keys[d, c]) * scale for every column of the padded stride, four vectors of
    /// columns at a time so each broadcast of q[d] feeds four independent sums.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Logits<TOps, TVec>(float* q, float* keys, int dim, int stride, float scale, float* logits)
        where TOps : struct, ISimd<TVec> where TVec : unmanaged
    {
        int w = TOps.Width, c0 = 0;
        TVec s = TOps.Broadcast(scale);
        for (; c0 + 4 * w <= stride; c0 += 4 * w)
        {
            TVec a0 = TOps.Zero, a1 = TOps.Zero, a2 = TOps.Zero, a3 = TOps.Zero;
            float* at = keys + c0;
            for (int d = 0; d < dim; d++, at += stride)
            {
                TVec qd = TOps.Broadcast(q[d]);
                a0 = TOps.Add(a0, TOps.Multiply(qd, TOps.Load(at)));
                a1 = TOps.Add(a1, TOps.Multiply(qd, TOps.Load(at + w)));
                a2 = TOps.Add(a2, TOps.Multiply(qd, TOps.Load(at + 2 * w)));
                a3 = TOps.Add(a3, TOps.Multiply(qd, TOps.Load(at + 3 * w)));
            }
            TOps.Store(logits + c0, TOps.Multiply(a0, s));
            TOps.Store(logits + c0 + w, TOps.Multiply(a1, s));
            TOps.Store(logits + c0 + 2 * w, TOps.Multiply(a2, s));
            TOps.Store(logits + c0 + 3 * w, TOps.Multiply(a3, s));
        }
        for (; c0 < stride; c0 += w)
        {
            TVec a = TOps.Zero;
            float* at = keys + c0;
            for (int d = 0; d < dim; d++, at += stride) a = TOps.Add(a, TOps.Multiply(TOps.Broadcast(q[d]), TOps.Load(at)));
            TOps.Store(logits + c0, TOps.Multiply(a, s));
        }
    }
}
