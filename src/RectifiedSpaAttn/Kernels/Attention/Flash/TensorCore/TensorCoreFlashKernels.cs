using RectifiedSpaAttn.Compute;
using RectifiedSpaAttn.Numerics;

namespace RectifiedSpaAttn.Kernels.Attention.Flash.TensorCore;

/// <summary>
/// FlashAttention-2-style attention on tensor cores (<c>mma.sync.m16n8k16</c>, fp32 accumulation) for 16-bit inputs:
/// one group per (b, h, tile of <c>tileRows</c> query rows); each warp owns <see cref="RowTiles"/>(D) x 16 rows (32 at
/// D = 64, so every K/V fragment read from shared memory feeds two mma; 16 at D = 128, where 32 rows would not fit the
/// registers). The warp's Q rows are loaded once as mma A fragments (ldmatrix.x4 from a swizzled staging tile); K and V
/// stream through shared memory <see cref="KeyTile"/> keys at a time by cp.async in a two-stage software pipeline (V's
/// copy overlaps S = Q K^T and the softmax, the next tile's K copy overlaps P V: two barriers per tile); the online
/// softmax runs in base 2 on the S accumulator fragments (row statistics across the 4 lanes of a quad), and P goes
/// back into the tensor cores as A fragments straight from registers. Shared memory: one K and one V tile,
/// <c>2 * KeyTile * headDim</c> elements (16 KiB at D = 64, 32 KiB at D = 128), which also stages Q before the first tile.
/// Launch: group <see cref="GroupSize"/>(tileRows, D) with <c>tileRows</c> 64 or 128 (a launch value, so it costs no
/// variants); grid x tiles, y <c>B * H</c>; no dynamic shared memory.
/// </summary>
internal static partial class TensorCoreFlashKernels
{
    /// <summary>Keys staged in shared memory per step.</summary>
    public const int KeyTile = 64;

    /// <summary>16-row mma tiles per warp at head dim <paramref name="headDim"/>.</summary>
    public static int RowTiles(int headDim) => headDim == 64 ? 2 : 1;

    /// <summary>Threads per group: one warp per <see cref="RowTiles"/> x 16 query rows.</summary>
    public static int GroupSize(int tileRows, int headDim) => tileRows / (16 * RowTiles(headDim)) * 32;

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
        ArrayView<float> unusedCompensation = SharedMemory.Allocate<float>(4);
        // Written out, not RowTiles(headDim): the compiler folds this conditional to a constant, but not an inlined
        // helper's result, and the register-array loops below need a constant bound.
        int mTiles = headDim == 64 ? 2 : 1;
        int groupSize = tileRows / (16 * mTiles) * 32;
        int tid = Group.IdxX;
        int lane = Warp.LaneIdx;
        int warp = Warp.WarpIdx;
        long headBase = (long)Grid.IdxY * sequenceLength * headDim;
        int tileStart = queryStart + Grid.IdxX * tileRows;

        Span<uint> qf = stackalloc uint[2 * 128 / 4];
        Span<float> o = stackalloc float[2 * 128 / 2];
        Span<float> s = stackalloc float[2 * KeyTile / 2];
        Span<float> stats = stackalloc float[2 * 4];
        for (int i = 0; i < mTiles * headDim / 2; i++) o[i] = 0f;
        for (int mt = 0; mt < mTiles; mt++)
        {
            stats[mt * 4] = -1e30f;
            stats[mt * 4 + 1] = -1e30f;
            stats[mt * 4 + 2] = 0f;
            stats[mt * 4 + 3] = 0f;
        }
        // Rows past the range stage a copy of its last row: in bounds, finite, and never stored.
        CopyRows(shared, 0, q, headBase, tileStart, queryEnd - 1, tid, tileRows, headDim, groupSize);
        AsyncCopy.CommitGroup();
        AsyncCopy.WaitGroup(0);
        Group.Barrier();
        LoadQueryFragments(shared, warp, lane, headDim, mTiles, qf);
        // Every warp holds its Q fragments before the first K copy overwrites the staging.
        Group.Barrier();

        // A tile made only of invalid text slots has nothing to compute (the condition is the same for the whole group).
        int keysEnd = tileStart < validKeys ? validKeys : 0;
        int k0 = 0;
        if (k0 < keysEnd) CopyRows(shared, 0, k, headBase, k0, Math.Min(k0 + KeyTile, keysEnd) - 1, tid, KeyTile, headDim, groupSize);
        AsyncCopy.CommitGroup();
        // Software pipeline over the key tiles: V's copy overlaps S and the softmax, the next K's copy overlaps P V.
        // A while loop, not a for: see the note on the k loop of TiledMatmulKernels.Matmul (non-constant bound).
        while (k0 < keysEnd)
        {
            int end = Math.Min(k0 + KeyTile, keysEnd);
            ScoreTile(shared, v, headBase, k0, end, tid, lane, scaleLog2, headDim, mTiles, groupSize, qf, o, s, stats);
            AwaitValues();
            int next = k0 + KeyTile;
            if (next < keysEnd)
            {
                CopyRows(shared, 0, k, headBase, next, Math.Min(next + KeyTile, keysEnd) - 1, tid, KeyTile, headDim, groupSize);
                AsyncCopy.CommitGroup();
            }
            AccumulateTile<T>(shared, lane, headDim, mTiles, s, o);
            k0 = next;
        }

        for (int mt = 0; mt < mTiles; mt++)
        {
            float sum0 = stats[mt * 4 + 2], sum1 = stats[mt * 4 + 3];
            sum0 += Warp.ShuffleXor(sum0, 1);
            sum0 += Warp.ShuffleXor(sum0, 2);
            sum1 += Warp.ShuffleXor(sum1, 1);
            sum1 += Warp.ShuffleXor(sum1, 2);
            int firstRow = tileStart + (warp * mTiles + mt) * 16;
            int row0 = firstRow + (lane >> 2);
            // Dense has no rectification: with rectify false the compensation view is never read, and the kernel has no
            // float buffer, so a small float view of shared memory stands in for it.
            StoreRows(output, headBase, firstRow, lane, row0 < queryEnd, row0 + 8 < queryEnd,
                row0 < validKeys ? Normaliser(sum0) : 0f, row0 + 8 < validKeys ? Normaliser(sum1) : 0f, false, 1f,
                unusedCompensation, 0, headDim, o, mt * (headDim / 2));
        }
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
        // Written out, not RowTiles(headDim): the compiler folds this conditional to a constant, but not an inlined
        // helper's result, and the register-array loops below need a constant bound.
        int mTiles = headDim == 64 ? 2 : 1;
        int groupSize = tileRows / (16 * mTiles) * 32;
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

            Span<uint> qf = stackalloc uint[2 * 128 / 4];
            Span<float> o = stackalloc float[2 * 128 / 2];
            Span<float> s = stackalloc float[2 * KeyTile / 2];
            Span<float> stats = stackalloc float[2 * 4];
            for (int i = 0; i < mTiles * headDim / 2; i++) o[i] = 0f;
            for (int mt = 0; mt < mTiles; mt++)
            {
                stats[mt * 4] = -1e30f;
                stats[mt * 4 + 1] = -1e30f;
                stats[mt * 4 + 2] = 0f;
                stats[mt * 4 + 3] = 0f;
            }
            CopyRows(shared, 0, q, headBase, tileStart, blockEnd - 1, tid, tileRows, headDim, groupSize);
            AsyncCopy.CommitGroup();
            AsyncCopy.WaitGroup(0);
            Group.Barrier();
            LoadQueryFragments(shared, warp, lane, headDim, mTiles, qf);
            // Every warp holds its Q fragments before the first K copy overwrites the staging.
            Group.Barrier();

            // One software-pipelined loop over every key tile the row-block attends (the listed blocks, then the valid
            // text keys), so the unrolled tile body appears in the PTX once. V's copy overlaps S and the softmax; the
            // next tile's K copy overlaps P V. [pos, rangeEnd) is what is left of the range being walked.
            int count = Math.Min(Math.Max(counts[rowBlock], 0), keyBlocks);
            long listBase = (long)rowBlock * keyBlocks;
            int entry = 0, phase = 0, pos = 0, rangeEnd = 0;
            Seek(lists, listBase, count, keyBlocks, keyBlockSize, visualTokens, validKeys, ref entry, ref phase, ref pos, ref rangeEnd);
            if (pos < rangeEnd) CopyRows(shared, 0, k, headBase, pos, Math.Min(pos + KeyTile, rangeEnd) - 1, tid, KeyTile, headDim, groupSize);
            AsyncCopy.CommitGroup();
            while (pos < rangeEnd)
            {
                int start = pos;
                int end = Math.Min(pos + KeyTile, rangeEnd);
                ScoreTile(shared, v, headBase, start, end, tid, lane, scaleLog2, headDim, mTiles, groupSize, qf, o, s, stats);
                pos += KeyTile;
                Seek(lists, listBase, count, keyBlocks, keyBlockSize, visualTokens, validKeys, ref entry, ref phase, ref pos, ref rangeEnd);
                AwaitValues();
                if (pos < rangeEnd)
                {
                    CopyRows(shared, 0, k, headBase, pos, Math.Min(pos + KeyTile, rangeEnd) - 1, tid, KeyTile, headDim, groupSize);
                    AsyncCopy.CommitGroup();
                }
                AccumulateTile<T>(shared, lane, headDim, mTiles, s, o);
            }

            // Without rectification R and C are never read (the caller may pass anything there).
            bool rectified = rectify != 0;
            float r = rectified ? rectification[rowBlock] : 1f;
            for (int mt = 0; mt < mTiles; mt++)
            {
                float sum0 = stats[mt * 4 + 2], sum1 = stats[mt * 4 + 3];
                sum0 += Warp.ShuffleXor(sum0, 1);
                sum0 += Warp.ShuffleXor(sum0, 2);
                sum1 += Warp.ShuffleXor(sum1, 1);
                sum1 += Warp.ShuffleXor(sum1, 2);
                int firstRow = tileStart + (warp * mTiles + mt) * 16;
                int row0 = firstRow + (lane >> 2);
                StoreRows(output, headBase, firstRow, lane, row0 < blockEnd, row0 + 8 < blockEnd, Normaliser(sum0), Normaliser(sum1),
                    rectified, r, compensation, (long)rowBlock * headDim, headDim, o, mt * (headDim / 2));
            }
        }
    }
}
