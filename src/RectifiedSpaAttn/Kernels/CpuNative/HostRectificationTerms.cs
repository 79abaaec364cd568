using System.Runtime.CompilerServices;
using RectifiedSpaAttn.Kernels.Attention;

namespace RectifiedSpaAttn.Kernels.CpuNative;

/// <summary>
/// Step 6 (GAPR) and step 8's terms on the host, one query-block row per work item. kbar and dk of each head are
/// transposed (<see cref="TransposedColumns"/>) so a vector holds consecutive key blocks and each lane sums its three dot
/// products over features sequentially, multiply then add, as the products kernel's threads do; R adds the kept masses
/// in block order, as the compensation kernel's row threads do; C accumulates <c>w_j vbar_j</c> in block order with one
/// lane per feature, as the compensation kernel's sub-tiles do (where they add a zero weight, the sum is unchanged). So
/// verdicts, R and C equal the emulated kernels' bit for bit.
/// </summary>
internal static unsafe class HostRectificationTerms
{
    /// <summary>Writes compensable, R and C for every row; views already validated.</summary>
    public static void Run<TOps, TVec>(AttentionShape shape, float* queryMeans, float* queryDeviations, float* keyMeans, float* keyDeviations,
        float* valueMeans, float* blockMass, float* textMass, byte* mask, byte* compensable, float* rectification, float* compensation)
        where TOps : struct, ISimd<TVec> where TVec : unmanaged
    {
        int dim = shape.HeadDim, nQ = shape.QueryBlocks, nK = shape.KeyBlocks;
        int stride = Math.Max(TOps.Width, (nK + TOps.Width - 1) / TOps.Width * TOps.Width);
        using var means = new TransposedColumns(shape.HeadCount, dim, stride);
        using var spreads = new TransposedColumns(shape.HeadCount, dim, stride);
        Parallel.For(0, shape.HeadCount, head =>
        {
            TransposedColumns.Scatter(keyMeans + (long)head * nK * dim, nK, dim, means.Head(head), stride, 0);
            TransposedColumns.Scatter(keyDeviations + (long)head * nK * dim, nK, dim, spreads.Head(head), stride, 0);
        });
        Parallel.For(0, shape.HeadCount * nQ, row =>
        {
            int head = row / nQ;
            long at = (long)row * nK;
            Row<TOps, TVec>(dim, nK, stride, queryMeans + (long)row * dim, queryDeviations + (long)row * dim, means.Head(head), spreads.Head(head),
                valueMeans + (long)head * nK * dim, blockMass + at, textMass[row], mask + at, compensable + at, rectification + row, compensation + (long)row * dim);
        });
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Row<TOps, TVec>(int dim, int nK, int stride, float* q, float* dq, float* kbar, float* dk, float* vbar,
        float* mass, float text, byte* mask, byte* compensable, float* rectification, float* compensation)
        where TOps : struct, ISimd<TVec> where TVec : unmanaged
    {
        float* gain = EstimationScratch.Floats(3L * stride);
        float* queryError = gain + stride, keyError = queryError + stride;
        Dots<TOps, TVec>(q, dq, kbar, dk, dim, stride, gain, queryError, keyError);

        // The weights w_j reuse the gain slots once read: w_j = P_ij for compensable non-critical blocks, else 0.
        float* weights = gain;
        float kept = 0f;
        for (int j = 0; j < nK; j++)
        {
            bool canCompensate = MathF.Abs(gain[j]) > MathF.Abs(queryError[j]) + MathF.Abs(keyError[j]);
            compensable[j] = canCompensate ? (byte)1 : (byte)0;
            if (mask[j] != 0 || !canCompensate)
            {
                kept += mass[j];
                weights[j] = 0f;
            }
            else
            {
                weights[j] = mass[j];
            }
        }
        *rectification = kept + text;

        int vectorEnd = dim / TOps.Width * TOps.Width;
        Compensation<TOps, TVec>(weights, vbar, nK, dim, 0, vectorEnd, compensation);
        Compensation<SimdScalar, float>(weights, vbar, nK, dim, vectorEnd, dim, compensation);
    }

    /// <summary>gain[j] = q.kbar_j, queryError[j] = dq.kbar_j, keyError[j] = q.dk_j over the padded stride, lanes across key blocks.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Dots<TOps, TVec>(float* q, float* dq, float* kbar, float* dk, int dim, int stride, float* gain, float* queryError, float* keyError)
        where TOps : struct, ISimd<TVec> where TVec : unmanaged
    {
        for (int c0 = 0; c0 < stride; c0 += 2 * TOps.Width)
        {
            // Two vectors of key blocks at a time when the stride allows: six independent sums per feature.
            bool pair = c0 + 2 * TOps.Width <= stride;
            int w = pair ? TOps.Width : 0;
            TVec g0 = TOps.Zero, e0 = TOps.Zero, k0 = TOps.Zero, g1 = TOps.Zero, e1 = TOps.Zero, k1 = TOps.Zero;
            float* m = kbar + c0, s = dk + c0;
            for (int d = 0; d < dim; d++, m += stride, s += stride)
            {
                TVec qd = TOps.Broadcast(q[d]), dqd = TOps.Broadcast(dq[d]);
                TVec km0 = TOps.Load(m), km1 = TOps.Load(m + w);
                g0 = TOps.Add(g0, TOps.Multiply(qd, km0));
                e0 = TOps.Add(e0, TOps.Multiply(dqd, km0));
                k0 = TOps.Add(k0, TOps.Multiply(qd, TOps.Load(s)));
                g1 = TOps.Add(g1, TOps.Multiply(qd, km1));
                e1 = TOps.Add(e1, TOps.Multiply(dqd, km1));
                k1 = TOps.Add(k1, TOps.Multiply(qd, TOps.Load(s + w)));
            }
            // Without a pair the second set repeated the first vector; storing it first lets the first overwrite it.
            TOps.Store(gain + c0 + w, g1);
            TOps.Store(queryError + c0 + w, e1);
            TOps.Store(keyError + c0 + w, k1);
            TOps.Store(gain + c0, g0);
            TOps.Store(queryError + c0, e0);
            TOps.Store(keyError + c0, k0);
        }
    }

    /// <summary>compensation[d] = sum over j (in order, zero weights skipped) of weights[j] * vbar[j, d] for features <c>[from, to)</c>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Compensation<TOps, TVec>(float* weights, float* vbar, int nK, int dim, int from, int to, float* compensation)
        where TOps : struct, ISimd<TVec> where TVec : unmanaged
    {
        for (int d = from; d < to; d += TOps.Width)
        {
            TVec sum = TOps.Zero;
            float* v = vbar + d;
            for (int j = 0; j < nK; j++, v += dim)
            {
                float w = weights[j];
                if (w != 0f) sum = TOps.Add(sum, TOps.Multiply(TOps.Broadcast(w), TOps.Load(v)));
            }
            TOps.Store(compensation + d, sum);
        }
    }
}
