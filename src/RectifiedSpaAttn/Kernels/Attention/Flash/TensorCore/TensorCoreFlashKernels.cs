using RectifiedSpaAttn.Compute;
using RectifiedSpaAttn.Numerics;

namespace RectifiedSpaAttn.Kernels.Attention.Flash.TensorCore;

/// <summary>
/// FlashAttention-2-style attention on tensor cores (<c>mma.sync.m16n8k16</c>, fp32 accumulation) for 16-bit inputs:
/// one group per (b, h, tile of <c>tileRows</c> query rows), one warp per 16 rows. The warp's Q rows are loaded once as
/// mma A fragments (ldmatrix.x4 from a swizzled staging tile); K and V stream through shared memory
/// <see cref="KeyTile"/> keys at a time by cp.async (V's copy overlaps S = Q K^T and the softmax); the online softmax
/// runs in base 2 on the S accumulator fragments (row statistics across the 4 lanes of a quad), and P goes back into
/// the tensor cores as A fragments straight from registers. Shared memory: one K and one V tile,
/// <c>2 * KeyTile * headDim</c> elements (16 KiB at D = 64, 32 KiB at D = 128), which also stages Q before the first tile.
/// Launch: group <see cref="GroupSize"/>(tileRows) with <c>tileRows</c> 64 or 128 (a launch value, so it costs no
/// variants); grid x tiles, y <c>B * H</c>; no dynamic shared memory.
/// </summary>
internal static partial class TensorCoreFlashKernels
{
    /// <summary>Keys staged in shared memory per step.</summary>
    public const int KeyTile = 64;

    /// <summary>Threads per group: one warp per 16 query rows.</summary>
    public static int GroupSize(int tileRows) => tileRows * 2;

    /// <summary>
    /// Dense attention for query tokens <c>[queryStart, queryEnd)</c> over keys <c>[0, validKeys)</c>; rows at or beyond
    /// <paramref name="validKeys"/> (invalid text slots) are written as zeros. Grid x <c>ceil((queryEnd - queryStart) / tileRows)</c>.
    /// </summary>
    [Kernel]
    [Specialize("T", typeof(Half), typeof(BFloat16))]
    [Specialize("headDim", 64, 128)]
    public static void Dense<T>(ArrayView<T> q, ArrayView<T> k, ArrayView<T> v, ArrayView<T> output,
        int sequenceLength, int validKeys, int queryStart, int queryEnd, float scaleLog2, int tileRows,
        [Constant] int headDim) where T : unmanaged
    {
        ArrayView<T> shared = SharedMemory.Allocate<T>(2 * KeyTile * headDim);
        int groupSize = tileRows * 2;
        int tid = Group.IdxX;
        int lane = Warp.LaneIdx;
        int warp = Warp.WarpIdx;
        long headBase = (long)Grid.IdxY * sequenceLength * headDim;
        int tileStart = queryStart + Grid.IdxX * tileRows;

        Span<uint> qf = stackalloc uint[headDim / 4];
        Span<float> o = stackalloc float[headDim / 2];
        for (int i = 0; i < headDim / 2; i++) o[i] = 0f;
        // Rows past the range stage a copy of its last row: in bounds, finite, and never stored.
        CopyRows(shared, 0, q, headBase, tileStart, queryEnd - 1, tid, tileRows, headDim, groupSize);
        AsyncCopy.CommitGroup();
        AsyncCopy.WaitGroup(0);
        Group.Barrier();
        LoadQueryFragments(shared, warp, lane, headDim, qf);

        float max0 = -1e30f, max1 = -1e30f, sum0 = 0f, sum1 = 0f;
        // A tile made only of invalid text slots has nothing to compute (the condition is the same for the whole group).
        if (tileStart < validKeys)
            AttendRange(shared, k, v, headBase, 0, validKeys, tid, lane, scaleLog2, headDim, groupSize, qf, o,
                ref max0, ref max1, ref sum0, ref sum1);
        sum0 += Warp.ShuffleXor(sum0, 1);
        sum0 += Warp.ShuffleXor(sum0, 2);
        sum1 += Warp.ShuffleXor(sum1, 1);
        sum1 += Warp.ShuffleXor(sum1, 2);

        int firstRow = tileStart + warp * 16;
        int row0 = firstRow + (lane >> 2);
        StoreRows(output, headBase, firstRow, lane, row0 < queryEnd, row0 + 8 < queryEnd,
            row0 < validKeys ? Normaliser(sum0) : 0f, row0 + 8 < validKeys ? Normaliser(sum1) : 0f, headDim, o);
    }

    /// <summary>
    /// Block-sparse attention for the visual query rows: query block i attends, by one online softmax, to the key blocks
    /// <c>lists[bh, i, 0..counts[bh, i])</c> and then to the valid text keys <c>[visualTokens, validKeys)</c>. When
    /// <paramref name="rectify"/> is non-zero, <c>O = rectification[bh, i] * Os + compensation[bh, i, :]</c>.
    /// <c>tileRows</c> must divide <paramref name="queryBlockSize"/>; grid x <c>queryBlocks * queryBlockSize / tileRows</c>.
    /// </summary>
    [Kernel]
    [Specialize("T", typeof(Half), typeof(BFloat16))]
    [Specialize("headDim", 64, 128)]
    public static void Sparse<T>(ArrayView<T> q, ArrayView<T> k, ArrayView<T> v, ArrayView<int> counts, ArrayView<int> lists,
        ArrayView<float> rectification, ArrayView<float> compensation, ArrayView<T> output,
        int sequenceLength, int visualTokens, int validKeys, int queryBlockSize, int keyBlockSize, int queryBlocks, int keyBlocks,
        int tilesPerBlock, int rectify, float scaleLog2, int tileRows, [Constant] int headDim) where T : unmanaged
    {
        ArrayView<T> shared = SharedMemory.Allocate<T>(2 * KeyTile * headDim);
        int groupSize = tileRows * 2;
        int tid = Group.IdxX;
        int lane = Warp.LaneIdx;
        int warp = Warp.WarpIdx;
        int bh = Grid.IdxY;
        int block = Grid.IdxX / tilesPerBlock;
        int tileStart = block * queryBlockSize + (Grid.IdxX - block * tilesPerBlock) * tileRows;
        int blockEnd = Math.Min(block * queryBlockSize + queryBlockSize, visualTokens);
        // The second tile of a partial last block may hold no row at all (group-uniform).
        if (tileStart < blockEnd)
        {
            long headBase = (long)bh * sequenceLength * headDim;
            int rowBlock = bh * queryBlocks + block;

            Span<uint> qf = stackalloc uint[headDim / 4];
            Span<float> o = stackalloc float[headDim / 2];
            for (int i = 0; i < headDim / 2; i++) o[i] = 0f;
            CopyRows(shared, 0, q, headBase, tileStart, blockEnd - 1, tid, tileRows, headDim, groupSize);
            AsyncCopy.CommitGroup();
            AsyncCopy.WaitGroup(0);
            Group.Barrier();
            LoadQueryFragments(shared, warp, lane, headDim, qf);
            float max0 = -1e30f, max1 = -1e30f, sum0 = 0f, sum1 = 0f;

            // One loop over every key tile the row-block attends: the listed blocks (entry by entry: every thread reads
            // the same int, so the loop stays group-uniform), then the valid text keys. A single AttendTile site keeps
            // the unrolled tile body in the PTX once. [k0, kEnd) is the range being walked.
            int count = Math.Min(Math.Max(counts[rowBlock], 0), keyBlocks);
            long listBase = (long)rowBlock * keyBlocks;
            int entry = 0, phase = 0, k0 = 0, kEnd = 0;
            while (phase < 2)
            {
                if (k0 < kEnd)
                {
                    AttendTile(shared, k, v, headBase, k0, Math.Min(k0 + KeyTile, kEnd), tid, lane, scaleLog2, headDim, groupSize,
                        qf, o, ref max0, ref max1, ref sum0, ref sum1);
                    k0 += KeyTile;
                }
                else if (entry < count)
                {
                    // An out-of-range entry would read outside K and V; it becomes an empty range.
                    int j = lists[listBase + entry];
                    bool inRange = j >= 0 && j < keyBlocks;
                    k0 = inRange ? j * keyBlockSize : 0;
                    kEnd = inRange ? Math.Min(k0 + keyBlockSize, visualTokens) : 0;
                    entry++;
                }
                else
                {
                    // Phase 0 -> 1 starts the text range; when it is used up, phase 1 -> 2 ends the loop.
                    k0 = visualTokens;
                    kEnd = validKeys;
                    phase++;
                }
            }
            sum0 += Warp.ShuffleXor(sum0, 1);
            sum0 += Warp.ShuffleXor(sum0, 2);
            sum1 += Warp.ShuffleXor(sum1, 1);
            sum1 += Warp.ShuffleXor(sum1, 2);

            int firstRow = tileStart + warp * 16;
            int row0 = firstRow + (lane >> 2);
            if (rectify != 0)
                StoreRectifiedRows(output, headBase, firstRow, lane, row0 < blockEnd, row0 + 8 < blockEnd, Normaliser(sum0),
                    Normaliser(sum1), rectification[rowBlock], compensation, (long)rowBlock * headDim, headDim, o);
            else
                StoreRows(output, headBase, firstRow, lane, row0 < blockEnd, row0 + 8 < blockEnd, Normaliser(sum0),
                    Normaliser(sum1), headDim, o);
        }
    }
}
