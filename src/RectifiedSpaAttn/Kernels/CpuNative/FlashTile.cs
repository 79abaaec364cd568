using System.Runtime.CompilerServices;

namespace RectifiedSpaAttn.Kernels.CpuNative;

/// <summary>
/// Flash attention of one tile of query rows of one head over a list of key ranges. The query tile is transposed once
/// (rows along the vector lanes, see <see cref="TileMicroKernels"/>); keys are then taken 64 at a time across the ranges
/// (fp32 key and value rows in place, 16-bit ones widened into scratch), and each key tile updates the rows' online
/// softmax: running max, running sum, accumulators rescaled by <c>exp(old max - new max)</c>. Gathering across ranges
/// means any block size, however small or ragged, still fills whole tiles. No S x S matrix exists: scores live one
/// 64-key tile at a time.
/// Hot methods are <see cref="MethodImplOptions.AggressiveOptimization"/>: tier-0 code of these generic vector kernels
/// (no inlining of the <see cref="ISimd{TVec}"/> members) runs about ten times slower, and a call that lasts well under a
/// second would otherwise spend most of it there before tiering catches up.
/// </summary>
internal static unsafe class FlashTile
{
    /// <summary>Keys per tile.</summary>
    public const int KeyTile = 64;

    /// <summary>
    /// Rows the kernels compute for <paramref name="rows"/> real ones: whole registers of rows for the scores, and a
    /// multiple of 4 for the value update. Padding rows are zero queries whose results are dropped.
    /// </summary>
    public static int PaddedRows(int rows, int width)
    {
        int step = Math.Max(width, 4);
        return (rows + step - 1) / step * step;
    }

    /// <summary>
    /// Attends query rows <c>[rowStart, rowStart + rowCount)</c> of one head to every key in <paramref name="ranges"/>
    /// and leaves the normalised output in <see cref="FlashScratch.Output"/> rows <c>[0, rowCount)</c> (stride
    /// <paramref name="paddedDim"/>). A row with no keys at all gets zeros.
    /// </summary>
    /// <param name="scratch">This thread's scratch, prepared for at least <c>PaddedRows(rowCount, Width)</c> rows.</param>
    /// <param name="q">The head's queries, <c>[S, D]</c>.</param>
    /// <param name="k">The head's keys, <c>[S, D]</c>.</param>
    /// <param name="v">The head's values, <c>[S, D]</c>.</param>
    /// <param name="dim">D.</param>
    /// <param name="paddedDim">D rounded up to a multiple of the vector width.</param>
    /// <param name="rowStart">First query row.</param>
    /// <param name="rowCount">Query rows.</param>
    /// <param name="ranges">Key ranges as (start, length) pairs.</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Attend<T, TOps, TVec>(FlashScratch scratch, T* q, T* k, T* v, int dim, int paddedDim, int rowStart, int rowCount, ReadOnlySpan<int> ranges)
        where T : unmanaged where TOps : struct, ISimd<TVec> where TVec : unmanaged
    {
        int rows = PaddedRows(rowCount, TOps.Width);
        LoadQueries(scratch, q, dim, rowStart, rowCount, rows, 1f / MathF.Sqrt(dim));
        new Span<float>(scratch.Output, rows * paddedDim).Clear();
        new Span<float>(scratch.RowMax, rows).Fill(float.NegativeInfinity);
        new Span<float>(scratch.RowSum, rows).Clear();
        // fp32 value rows can be read in place when whole registers never run past a row's end (and so past the buffer).
        bool valuesInPlace = typeof(T) == typeof(float) && paddedDim == dim;

        int rangeIndex = 0, offset = 0;
        while (true)
        {
            // Gather up to KeyTile keys, continuing where the previous tile stopped; a run of adjacent keys is one call.
            int n = 0;
            while (n < KeyTile && rangeIndex < ranges.Length)
            {
                int start = ranges[rangeIndex], length = ranges[rangeIndex + 1];
                int take = Math.Min(KeyTile - n, length - offset);
                GatherKeys(scratch, k, v, dim, paddedDim, start + offset, take, n, valuesInPlace);
                n += take;
                offset += take;
                if (offset >= length) { rangeIndex += 2; offset = 0; }
            }
            if (n == 0) break;

            TileMicroKernels.Scores<TOps, TVec>(scratch.KeyRows, n, scratch.QueryT, dim, scratch.Scores, rows);
            UpdateSoftmax<TOps, TVec>(scratch, n, rows);
            TileMicroKernels.AccumulateValues<TOps, TVec>(scratch.Scores, n, scratch.ValueRows, paddedDim, scratch.Alpha, scratch.Output, rows);
        }

        for (int r = 0; r < rowCount; r++)
        {
            float sum = scratch.RowSum[r];
            // sum is 0 only when there were no keys; the accumulators are then still 0 and the row stays 0.
            // A plain loop, not TensorPrimitives: its generic instantiations start as tier-0 code, which on calls this
            // short can cost as much as the attention itself.
            float* row = scratch.Output + r * paddedDim;
            float scale = sum > 0 ? 1f / sum : 0f;
            for (int d = 0; d < paddedDim; d++) row[d] *= scale;
        }
    }

    /// <summary>
    /// Widens the query rows, scales them by <c>1/sqrt(D)</c> once (not every score), and writes them transposed,
    /// <c>[D, rows]</c>, with the padding rows zero.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void LoadQueries<T>(FlashScratch scratch, T* q, int dim, int rowStart, int rowCount, int rows, float scale) where T : unmanaged
    {
        float* qT = scratch.QueryT, row = scratch.Row;
        for (int r = 0; r < rowCount; r++)
        {
            ElementRows.Load(q + (long)(rowStart + r) * dim, row, dim);
            for (int d = 0; d < dim; d++) qT[d * rows + r] = row[d] * scale;
        }
        for (int d = 0; d < dim; d++)
            for (int r = rowCount; r < rows; r++) qT[d * rows + r] = 0f;
    }

    /// <summary>
    /// Makes keys <c>[token, token + count)</c> columns <c>[column, column + count)</c> of the tile: points the tile's key
    /// and value row pointers at them, in place for fp32, else at rows widened into scratch.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void GatherKeys<T>(FlashScratch scratch, T* k, T* v, int dim, int paddedDim, int token, int count, int column, bool valuesInPlace) where T : unmanaged
    {
        if (typeof(T) == typeof(float))
            for (int t = 0; t < count; t++) scratch.KeyRows[column + t] = (float*)(k + (long)(token + t) * dim);
        else
        {
            float* keys = scratch.Keys + column * dim;
            ElementRows.Load(k + (long)token * dim, keys, count * dim);
            for (int t = 0; t < count; t++) scratch.KeyRows[column + t] = keys + t * dim;
        }

        if (valuesInPlace)
            for (int t = 0; t < count; t++) scratch.ValueRows[column + t] = (float*)(v + (long)(token + t) * dim);
        else if (paddedDim == dim)
        {
            // No padding columns: the run of value rows is widened in one call, like the keys.
            float* values = scratch.Values + column * dim;
            ElementRows.Load(v + (long)token * dim, values, count * dim);
            for (int t = 0; t < count; t++) scratch.ValueRows[column + t] = values + t * dim;
        }
        else
            for (int t = 0; t < count; t++)
            {
                float* value = scratch.Values + (column + t) * paddedDim;
                ElementRows.Load(v + (long)(token + t) * dim, value, dim);
                for (int d = dim; d < paddedDim; d++) value[d] = 0f;
                scratch.ValueRows[column + t] = value;
            }
    }

    /// <summary>
    /// Online softmax over one key tile, lane-wise over rows: new max <c>m'</c> down each column of <c>Sᵀ</c>,
    /// <c>alpha = exp(m - m')</c> for the accumulators, probabilities <c>exp(s - m')</c> in place of the scores, running
    /// sum <c>l' = alpha l + sum p</c>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void UpdateSoftmax<TOps, TVec>(FlashScratch scratch, int keys, int rows)
        where TOps : struct, ISimd<TVec> where TVec : unmanaged
    {
        int w = TOps.Width;
        float* sT = scratch.Scores;
        for (int r = 0; r < rows; r += w)
        {
            TVec max = TOps.Load(sT + r);
            for (int c = 1; c < keys; c++) max = TOps.Max(max, TOps.Load(sT + c * rows + r));
            TVec old = TOps.Load(scratch.RowMax + r);
            TVec next = TOps.Max(old, max);
            // old is -inf on the first tile: alpha = e^-inf = 0 and the (zero) accumulators stay zero.
            TVec alpha = TOps.Exp(TOps.Subtract(old, next));
            TVec sum = TOps.Zero;
            for (int c = 0; c < keys; c++)
            {
                float* s = sT + c * rows + r;
                TVec p = TOps.Exp(TOps.Subtract(TOps.Load(s), next));
                TOps.Store(s, p);
                sum = TOps.Add(sum, p);
            }
            TOps.Store(scratch.Alpha + r, alpha);
            TOps.Store(scratch.RowSum + r, TOps.MultiplyAdd(TOps.Load(scratch.RowSum + r), alpha, sum));
            TOps.Store(scratch.RowMax + r, next);
        }
    }
}
