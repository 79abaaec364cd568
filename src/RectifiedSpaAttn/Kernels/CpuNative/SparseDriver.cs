using System.Runtime.CompilerServices;
using RectifiedSpaAttn.Kernels.Attention;

namespace RectifiedSpaAttn.Kernels.CpuNative;

/// <summary>
/// Block-sparse flash attention over all visual query rows, with the rectification epilogue. Work items are
/// (head, query block, part): a query block taller than <see cref="DenseDriver.QueryTile"/> rows is cut into equal parts
/// so that no tile outgrows the scratch. Every row of a block shares its key set: the tokens of the block's critical key
/// blocks, then the valid text keys. Text query rows are not touched.
/// </summary>
internal static unsafe class SparseDriver
{
    /// <summary>Runs block-sparse attention; counts and list entries must already be validated.</summary>
    public static void Run<T, TOps, TVec>(AttentionShape shape, T* q, T* k, T* v, int* counts, int* lists, float* rectification, float* compensation, bool rectify, T* output)
        where T : unmanaged where TOps : struct, ISimd<TVec> where TVec : unmanaged
    {
        int nQ = shape.QueryBlocks, m = shape.QueryBlockSize;
        int parts = (m + DenseDriver.QueryTile - 1) / DenseDriver.QueryTile;
        int partRows = (m + parts - 1) / parts;
        if (nQ == 0) return;

        Parallel.For(0, shape.HeadCount * nQ * parts,
            item => Item<T, TOps, TVec>(shape, q, k, v, counts, lists, rectification, compensation, rectify, output, parts, partRows, item));
    }

    /// <summary>One work item: part <c>item % parts</c> of query block row <c>item / parts</c> (a (head, i) pair).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Item<T, TOps, TVec>(AttentionShape shape, T* q, T* k, T* v, int* counts, int* lists, float* rectification, float* compensation,
        bool rectify, T* output, int parts, int partRows, int item)
        where T : unmanaged where TOps : struct, ISimd<TVec> where TVec : unmanaged
    {
        int dim = shape.HeadDim, paddedDim = (dim + TOps.Width - 1) / TOps.Width * TOps.Width;
        long headLength = (long)shape.SequenceLength * dim;
        int nQ = shape.QueryBlocks, nK = shape.KeyBlocks, m = shape.QueryBlockSize, n = shape.KeyBlockSize;
        int visual = shape.VisualTokens, validText = shape.ValidTextTokens;
        int rangeInts = 2 * (nK + 1);
        int part = item % parts, blockRow = item / parts, head = blockRow / nQ, i = blockRow % nQ;
        int blockEnd = Math.Min((i + 1) * m, visual);
        int rowStart = i * m + part * partRows, rowCount = Math.Min(partRows, blockEnd - rowStart);
        if (rowCount <= 0) return;

        FlashScratch scratch = FlashScratch.For(FlashTile.PaddedRows(partRows, TOps.Width), dim, paddedDim, rangeInts);
        int used = KeyRanges(scratch.Ranges, lists + (long)blockRow * nK, counts[blockRow], n, visual, validText);
        long offset = head * headLength;
        FlashTile.Attend<T, TOps, TVec>(scratch, q + offset, k + offset, v + offset, dim, paddedDim, rowStart, rowCount, scratch.Ranges.AsSpan(0, used));

        T* o = output + offset + (long)rowStart * dim;
        float r = rectify ? rectification[blockRow] : 1f;
        float* c = compensation + (long)blockRow * dim;
        for (int row = 0; row < rowCount; row++)
        {
            float* os = scratch.Output + row * paddedDim;
            if (rectify)
            {
                // O = R * Os + C, the epilogue of step 8, on the fp32 row before the one rounding to T.
                // A plain loop (see FlashTile.Attend on tier-0 TensorPrimitives instantiations).
                for (int d = 0; d < dim; d++) scratch.Row[d] = r * os[d] + c[d];
                os = scratch.Row;
            }
            ElementRows.Store(os, o + (long)row * dim, dim);
        }
    }

    /// <summary>
    /// Writes the key ranges of one query-block row as (start, length) pairs: each listed key block (adjacent ones merged
    /// into one range, which only saves bookkeeping), then the valid text keys. Returns the ints written.
    /// </summary>
    private static int KeyRanges(int[] ranges, int* list, int count, int keyBlockSize, int visual, int validText)
    {
        int used = 0;
        for (int e = 0; e < count; e++)
        {
            int start = list[e] * keyBlockSize, length = Math.Min(keyBlockSize, visual - start);
            if (used > 0 && ranges[used - 2] + ranges[used - 1] == start) ranges[used - 1] += length;
            else
            {
                ranges[used++] = start;
                ranges[used++] = length;
            }
        }
        if (validText > 0)
        {
            ranges[used++] = visual;
            ranges[used++] = validText;
        }
        return used;
    }
}
