using System.Numerics.Tensors;
using System.Runtime.CompilerServices;

namespace RectifiedSpaAttn.Kernels.CpuNative;

/// <summary>
/// Flash attention of one tile of query rows of one head over a list of key ranges: the keys are gathered, 64 at a time,
/// into fp32 tiles (K transposed, V as rows), and each key tile updates the rows' online softmax (running max, running
/// sum, accumulators rescaled by <c>exp(old max - new max)</c>). Gathering across ranges means any block size, however
/// small or ragged, still fills whole tiles. No S x S matrix exists: scores live one 64-key tile at a time.
/// Hot methods are <see cref="MethodImplOptions.AggressiveOptimization"/>: tier-0 code of these generic vector kernels
/// (no inlining of the <see cref="ISimd{TVec}"/> members) runs about ten times slower, and a call that lasts well under a
/// second would otherwise spend most of it there before tiering catches up.
/// </summary>
internal static unsafe class FlashTile
{
    /// <summary>Keys per tile: 4 registers of 16 floats (AVX-512), 8 of 8 (AVX2), 16 of 4, or 64 scalars.</summary>
    public const int KeyTile = 64;

    /// <summary>
    /// Attends query rows <c>[rowStart, rowStart + rowCount)</c> of one head to every key in <paramref name="ranges"/>
    /// and leaves the normalised output in <see cref="FlashScratch.Output"/> rows <c>[0, rowCount)</c> (stride
    /// <paramref name="paddedDim"/>). A row with no keys at all gets zeros.
    /// </summary>
    /// <param name="scratch">This thread's scratch, prepared for at least <c>rowCount</c> rounded up to 4 rows.</param>
    /// <param name="q">The head's queries, <c>[S, D]</c>.</param>
    /// <param name="k">The head's keys, <c>[S, D]</c>.</param>
    /// <param name="v">The head's values, <c>[S, D]</c>.</param>
    /// <param name="dim">D.</param>
    /// <param name="paddedDim">D rounded up to a multiple of the vector width.</param>
    /// <param name="rowStart">First query row.</param>
    /// <param name="rowCount">Query rows, at most the rows the scratch was prepared for.</param>
    /// <param name="ranges">Key ranges as (start, length) pairs.</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Attend<T, TOps, TVec>(FlashScratch scratch, T* q, T* k, T* v, int dim, int paddedDim, int rowStart, int rowCount, ReadOnlySpan<int> ranges)
        where T : unmanaged where TOps : struct, ISimd<TVec> where TVec : unmanaged
    {
        int rows = (rowCount + 3) & ~3;
        float scale = 1f / MathF.Sqrt(dim);
        LoadQueries(scratch, q, dim, rowStart, rowCount, rows, scale);
        new Span<float>(scratch.Output, rows * paddedDim).Clear();
        new Span<float>(scratch.RowMax, rows).Fill(float.NegativeInfinity);
        new Span<float>(scratch.RowSum, rows).Clear();

        int rangeIndex = 0, offset = 0;
        while (true)
        {
            // Gather up to KeyTile keys, continuing where the previous tile stopped.
            int n = 0;
            while (n < KeyTile && rangeIndex < ranges.Length)
            {
                int start = ranges[rangeIndex], length = ranges[rangeIndex + 1];
                int take = Math.Min(KeyTile - n, length - offset);
                for (int t = 0; t < take; t++) LoadKey(scratch, k, v, dim, paddedDim, start + offset + t, n + t);
                n += take;
                offset += take;
                if (offset >= length) { rangeIndex += 2; offset = 0; }
            }
            if (n == 0) break;
            // Unused columns of a partial tile: zero keys keep the products finite; their scores become -inf below.
            for (int c = n; c < KeyTile; c++)
                for (int d = 0; d < dim; d++) scratch.KeyT[d * KeyTile + c] = 0f;

            TileMicroKernels.Scores<TOps, TVec>(scratch.Query, dim, scratch.KeyT, KeyTile, scratch.Scores, rows);
            UpdateSoftmax<TOps, TVec>(scratch, n, rows);
            TileMicroKernels.AccumulateValues<TOps, TVec>(scratch.Scores, KeyTile, n, scratch.Value, paddedDim, scratch.Alpha, scratch.Output, rows);
        }

        for (int r = 0; r < rowCount; r++)
        {
            float sum = scratch.RowSum[r];
            // sum is 0 only when there were no keys; the accumulators are then still 0 and the row stays 0.
            var row = new Span<float>(scratch.Output + r * paddedDim, paddedDim);
            TensorPrimitives.Multiply(row, sum > 0 ? 1f / sum : 0f, row);
        }
    }

    /// <summary>Widens the query rows, scales them by <c>1/sqrt(D)</c> once (not every score), and zeroes the padding rows.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void LoadQueries<T>(FlashScratch scratch, T* q, int dim, int rowStart, int rowCount, int rows, float scale) where T : unmanaged
    {
        for (int r = 0; r < rowCount; r++)
        {
            float* row = scratch.Query + r * dim;
            ElementRows.Load(q + (long)(rowStart + r) * dim, row, dim);
            var span = new Span<float>(row, dim);
            TensorPrimitives.Multiply(span, scale, span);
        }
        new Span<float>(scratch.Query + rowCount * dim, (rows - rowCount) * dim).Clear();
    }

    /// <summary>Puts key <paramref name="token"/> into column <paramref name="column"/> of the transposed key tile and its value into row <paramref name="column"/> of the value tile.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void LoadKey<T>(FlashScratch scratch, T* k, T* v, int dim, int paddedDim, int token, int column) where T : unmanaged
    {
        float* key;
        if (typeof(T) == typeof(float)) key = (float*)(k + (long)token * dim);
        else
        {
            key = scratch.Row;
            ElementRows.Load(k + (long)token * dim, key, dim);
        }
        float* kT = scratch.KeyT + column;
        for (int d = 0; d < dim; d++) kT[d * KeyTile] = key[d];

        float* value = scratch.Value + column * paddedDim;
        ElementRows.Load(v + (long)token * dim, value, dim);
        for (int d = dim; d < paddedDim; d++) value[d] = 0f;
    }

    /// <summary>
    /// Online softmax over one key tile, per row: new max <c>m'</c>, <c>alpha = exp(m - m')</c> for the accumulators,
    /// probabilities <c>exp(s - m')</c> in place of the scores, running sum <c>l' = alpha l + sum p</c>.
    /// Columns at or past <paramref name="keys"/> are set to -inf first, so they weigh exactly 0.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void UpdateSoftmax<TOps, TVec>(FlashScratch scratch, int keys, int rows)
        where TOps : struct, ISimd<TVec> where TVec : unmanaged
    {
        int w = TOps.Width;
        for (int r = 0; r < rows; r++)
        {
            float* s = scratch.Scores + r * KeyTile;
            for (int c = keys; c < KeyTile; c++) s[c] = float.NegativeInfinity;
            TVec max = TOps.Load(s);
            for (int c = w; c < KeyTile; c += w) max = TOps.Max(max, TOps.Load(s + c));
            float old = scratch.RowMax[r];
            float next = MathF.Max(old, TOps.MaxAcross(max));
            // old is -inf on the first tile: alpha = 0 and the (zero) accumulators stay zero.
            float alpha = MathF.Exp(old - next);
            TVec shift = TOps.Broadcast(next), sum = TOps.Zero;
            for (int c = 0; c < KeyTile; c += w)
            {
                TVec p = TOps.Exp(TOps.Subtract(TOps.Load(s + c), shift));
                TOps.Store(s + c, p);
                sum = TOps.Add(sum, p);
            }
            scratch.Alpha[r] = alpha;
            scratch.RowSum[r] = scratch.RowSum[r] * alpha + TOps.SumAcross(sum);
            scratch.RowMax[r] = next;
        }
    }
}
