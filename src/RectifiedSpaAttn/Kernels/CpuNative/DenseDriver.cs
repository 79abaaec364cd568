using System.Runtime.CompilerServices;
using RectifiedSpaAttn.Kernels.Attention;

namespace RectifiedSpaAttn.Kernels.CpuNative;

/// <summary>
/// Dense flash attention over all heads: work items are (head, tile of up to <see cref="QueryTile"/> valid query rows),
/// run with <see cref="Parallel.For(int, int, Action{int})"/>; every valid query attends to keys <c>[0, ValidKeys)</c>.
/// Query rows at or past <c>ValidKeys</c> (invalid text slots) are zeroed.
/// </summary>
internal static unsafe class DenseDriver
{
    /// <summary>
    /// Query rows per tile: each key tile is converted and transposed once per query tile, so taller tiles amortise that
    /// better; 64 rows keep the fp32 query, score and accumulator tiles (48 KiB at D = 64) inside L2 next to the key tiles.
    /// </summary>
    public const int QueryTile = 64;

    /// <summary>Runs dense attention for query rows <c>[queryStart, queryStart + queryCount)</c> of every head.</summary>
    public static void Run<T, TOps, TVec>(AttentionShape shape, T* q, T* k, T* v, T* output, int queryStart, int queryCount)
        where T : unmanaged where TOps : struct, ISimd<TVec> where TVec : unmanaged
    {
        int dim = shape.HeadDim;
        long headLength = (long)shape.SequenceLength * dim;
        int end = queryStart + queryCount, validEnd = Math.Min(end, shape.ValidKeys);
        int validRows = Math.Max(0, validEnd - queryStart);
        int tiles = (validRows + QueryTile - 1) / QueryTile;

        if (tiles > 0)
            Parallel.For(0, shape.HeadCount * tiles, item => Item<T, TOps, TVec>(shape, q, k, v, output, queryStart, validEnd, tiles, item));

        // Invalid text slots: zero rows, as the reference leaves them.
        int zeroStart = Math.Max(queryStart, validEnd);
        if (zeroStart < end)
            for (int head = 0; head < shape.HeadCount; head++)
                new Span<T>(output + head * headLength + (long)zeroStart * dim, (end - zeroStart) * dim).Clear();
    }

    /// <summary>One work item: query tile <c>item % tiles</c> of head <c>item / tiles</c>, attending to every valid key.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Item<T, TOps, TVec>(AttentionShape shape, T* q, T* k, T* v, T* output, int queryStart, int validEnd, int tiles, int item)
        where T : unmanaged where TOps : struct, ISimd<TVec> where TVec : unmanaged
    {
        int dim = shape.HeadDim, paddedDim = (dim + TOps.Width - 1) / TOps.Width * TOps.Width;
        int head = item / tiles, tile = item % tiles;
        int rowStart = queryStart + tile * QueryTile, rowCount = Math.Min(QueryTile, validEnd - rowStart);
        FlashScratch scratch = FlashScratch.For(FlashTile.PaddedRows(QueryTile, TOps.Width), dim, paddedDim, 2);
        scratch.Ranges[0] = 0;
        scratch.Ranges[1] = shape.ValidKeys;
        long offset = head * (long)shape.SequenceLength * dim;
        FlashTile.Attend<T, TOps, TVec>(scratch, q + offset, k + offset, v + offset, dim, paddedDim, rowStart, rowCount, scratch.Ranges.AsSpan(0, 2));
        T* o = output + offset + (long)rowStart * dim;
        for (int r = 0; r < rowCount; r++) ElementRows.Store(scratch.Output + r * paddedDim, o + (long)r * dim, dim);
    }
}
