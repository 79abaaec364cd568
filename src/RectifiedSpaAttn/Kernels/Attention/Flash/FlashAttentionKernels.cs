using RectifiedSpaAttn.Compute;
using RectifiedSpaAttn.Numerics;

namespace RectifiedSpaAttn.Kernels.Attention.Flash;

/// <summary>
/// Portable SIMT flash attention (no tensor cores): one group per (b, h, tile of <see cref="TileRows"/> query rows).
/// Thread <c>tid</c> owns query row <c>tid % TileRows</c> and the <see cref="SliceDims"/> head dims of slice
/// <c>tid / TileRows</c>, holding that slice of q and of the fp32 output accumulator in registers. Keys and values
/// stream through shared memory <see cref="KeyTile"/> keys at a time (converted to fp32 once, then read by all
/// rows); each thread's partial dot products meet in shared memory, so no warp collective is needed (OpenCL
/// emulates those with barriers). The online softmax runs in base 2 with <c>log2(e) / sqrt(D)</c> folded into one
/// factor. Rows are lane-major (32 consecutive rows per warp, one slice), so every shared read of a key or value
/// is a broadcast (read 16 bytes at a time) and the padded partial-sum rows hit distinct banks. Static shared memory:
/// keys and values <c>2 * KeyTile * D</c> floats plus partials <c>(D / 32) * TileRows * PartialStride</c> floats, 16.5 KB
/// at D = 64 and 33 KB at D = 128, under the 48 KB every OpenCL device offers.
/// Launch: group <see cref="GroupSize"/>(D); grid x tiles, y <c>B * H</c>; no dynamic shared memory.
/// </summary>
internal static partial class FlashAttentionKernels
{
    /// <summary>Query rows per group.</summary>
    public const int TileRows = 64;

    /// <summary>Keys staged in shared memory per step.</summary>
    public const int KeyTile = 16;

    /// <summary>Head dims one thread owns.</summary>
    public const int SliceDims = 32;

    /// <summary>Floats between the partial-sum rows of two query rows: one more than <see cref="KeyTile"/> against bank conflicts.</summary>
    public const int PartialStride = KeyTile + 1;

    /// <summary>Threads per group for head dim <paramref name="headDim"/>: one per (row, slice).</summary>
    public static int GroupSize(int headDim) => TileRows * (headDim / SliceDims);

    /// <summary>Query-row tiles per query block of <paramref name="queryBlockSize"/> tokens (a tile never straddles blocks).</summary>
    public static int TilesPerBlock(int queryBlockSize) => (queryBlockSize + TileRows - 1) / TileRows;

    /// <summary>
    /// Dense attention for query tokens <c>[queryStart, queryEnd)</c> over keys <c>[0, sizes.ValidKeys)</c>; rows at or
    /// beyond <c>ValidKeys</c> (invalid text slots) are written as zeros. Grid x <c>ceil((queryEnd - queryStart) / TileRows)</c>.
    /// </summary>
    [Kernel]
    [Specialize("T", typeof(float), typeof(Half), typeof(BFloat16))]
    [Specialize("headDim", 64, 128)]
    public static void Dense<T>(ArrayView<T> q, ArrayView<T> k, ArrayView<T> v, ArrayView<T> output,
        FlashSizes sizes, int queryStart, int queryEnd, [Constant] int headDim) where T : unmanaged
    {
        ArrayView<float> keys = SharedMemory.Allocate<float>(KeyTile * headDim);
        ArrayView<float> values = SharedMemory.Allocate<float>(KeyTile * headDim);
        ArrayView<float> partials = SharedMemory.Allocate<float>(headDim / SliceDims * TileRows * PartialStride);
        int tid = Group.IdxX;
        int row = tid % TileRows;
        int slice = tid / TileRows;
        long headBase = (long)Grid.IdxY * sizes.SequenceLength * headDim;
        int tileStart = queryStart + Grid.IdxX * TileRows;
        int token = tileStart + row;
        long rowBase = headBase + (long)token * headDim + slice * SliceDims;

        Span<float> query = stackalloc float[SliceDims];
        Span<float> acc = stackalloc float[SliceDims];
        LoadQuery(q, rowBase, token < queryEnd && token < sizes.ValidKeys, query);
        float rowMax = -1e30f, rowSum = 0f;
        // A tile made only of invalid text slots has nothing to compute (the condition is the same for the whole group).
        if (tileStart < sizes.ValidKeys)
            AttendRange(k, v, keys, values, partials, headBase, 0, sizes.ValidKeys, tid, row, slice, sizes.ScaleLog2, headDim, query,
                acc, ref rowMax, ref rowSum);
        if (token < queryEnd) StoreRow(output, rowBase, token < sizes.ValidKeys ? Normaliser(rowSum) : 0f, acc);
    }

    /// <summary>
    /// Block-sparse attention for the visual query rows: query block i attends, by one online softmax, to the key blocks
    /// <c>lists[bh, i, 0..counts[bh, i])</c> and then to the valid text keys <c>[VisualTokens, ValidKeys)</c>. When
    /// <paramref name="rectify"/> is non-zero, <c>O = rectification[bh, i] * Os + compensation[bh, i, :]</c>.
    /// Grid x <c>QueryBlocks * TilesPerBlock(QueryBlockSize)</c>.
    /// </summary>
    [Kernel]
    [Specialize("T", typeof(float), typeof(Half), typeof(BFloat16))]
    [Specialize("headDim", 64, 128)]
    public static void Sparse<T>(ArrayView<T> q, ArrayView<T> k, ArrayView<T> v, ArrayView<int> counts, ArrayView<int> lists,
        ArrayView<float> rectification, ArrayView<float> compensation, ArrayView<T> output,
        FlashSizes sizes, FlashBlocks blocks, int rectify, [Constant] int headDim) where T : unmanaged
    {
        ArrayView<float> keys = SharedMemory.Allocate<float>(KeyTile * headDim);
        ArrayView<float> values = SharedMemory.Allocate<float>(KeyTile * headDim);
        ArrayView<float> partials = SharedMemory.Allocate<float>(headDim / SliceDims * TileRows * PartialStride);
        int tid = Group.IdxX;
        int row = tid % TileRows;
        int slice = tid / TileRows;
        int bh = Grid.IdxY;
        int block = Grid.IdxX / blocks.TilesPerBlock;
        int tileStart = block * blocks.QueryBlockSize + (Grid.IdxX - block * blocks.TilesPerBlock) * TileRows;
        int blockEnd = Math.Min(block * blocks.QueryBlockSize + blocks.QueryBlockSize, blocks.VisualTokens);
        // The second tile of a partial last block may hold no row at all (group-uniform).
        if (tileStart < blockEnd)
        {
            long headBase = (long)bh * sizes.SequenceLength * headDim;
            int token = tileStart + row;
            long rowBase = headBase + (long)token * headDim + slice * SliceDims;
            int rowBlock = bh * blocks.QueryBlocks + block;

            Span<float> query = stackalloc float[SliceDims];
            Span<float> acc = stackalloc float[SliceDims];
            LoadQuery(q, rowBase, token < blockEnd, query);
            float rowMax = -1e30f, rowSum = 0f;

            // The row-block's list, read entry by entry: every thread reads the same int, so the loop stays group-uniform.
            int count = Math.Min(Math.Max(counts[rowBlock], 0), blocks.KeyBlocks);
            long listBase = (long)rowBlock * blocks.KeyBlocks;
            int entry = 0;
            while (entry < count)
            {
                int j = lists[listBase + entry];
                // An out-of-range entry would read outside K and V; skip it (equal for the whole group).
                if (j >= 0 && j < blocks.KeyBlocks)
                {
                    int keyStart = j * blocks.KeyBlockSize;
                    AttendRange(k, v, keys, values, partials, headBase, keyStart, Math.Min(keyStart + blocks.KeyBlockSize, blocks.VisualTokens),
                        tid, row, slice, sizes.ScaleLog2, headDim, query, acc, ref rowMax, ref rowSum);
                }
                entry++;
            }
            AttendRange(k, v, keys, values, partials, headBase, blocks.VisualTokens, sizes.ValidKeys, tid, row, slice, sizes.ScaleLog2,
                headDim, query, acc, ref rowMax, ref rowSum);

            if (token < blockEnd)
            {
                if (rectify != 0)
                    StoreRectifiedRow(output, rowBase, Normaliser(rowSum), rectification[rowBlock], acc, compensation,
                        (long)rowBlock * headDim + slice * SliceDims);
                else StoreRow(output, rowBase, Normaliser(rowSum), acc);
            }
        }
    }
}
