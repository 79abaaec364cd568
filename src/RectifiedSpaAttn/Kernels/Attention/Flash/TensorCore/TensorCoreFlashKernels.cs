using RectifiedSpaAttn.Compute;
using RectifiedSpaAttn.Numerics;

namespace RectifiedSpaAttn.Kernels.Attention.Flash.TensorCore;

/// <summary>
/// FlashAttention-2-style attention on tensor cores (<c>mma.sync.m16n8k16</c>, fp32 accumulation) for 16-bit inputs:
/// one group per (b, h, tile of <c>tileRows</c> query rows); each warp owns <c>warpRows</c> rows, 16 or 32 (a
/// specialisation, since it sizes the register arrays; with 32, each K/V fragment read from shared memory feeds two
/// mma). The warp's Q rows are loaded once as mma A fragments (ldmatrix.x4 from a swizzled staging tile), except at
/// D = 128 with 32 rows, where they would not fit the registers beside the accumulators: there Q stays in shared memory
/// and its fragments are re-read per key tile. K and V stream through shared memory <see cref="KeyTile"/>
/// keys at a time by cp.async in a software pipeline of <c>stages</c> K/V buffers (a launch value): with 1, V's copy
/// overlaps S = Q K^T and the softmax and the next tile's K copy overlaps P V (two barriers per tile); with 2, the
/// next tile's K and V copies overlap all of the current tile (one barrier per tile). The online softmax runs in base 2
/// on the S accumulator fragments (row statistics across the 4 lanes of a quad), and P goes back into the tensor cores
/// as A fragments straight from registers. Shared memory is dynamic, <see cref="DynamicSharedBytes"/>: <c>stages</c>
/// x (one K and one V tile), <c>2 * KeyTile * headDim</c> elements each (16 KiB at D = 64, 32 KiB at D = 128); the first
/// stage also stages Q before the first tile (or, with Q resident, the stages follow its <c>tileRows * headDim</c>). Launch: group <see cref="GroupSize"/>(tileRows, warpRows) with
/// <c>tileRows</c> 64 or 128; grid x tiles, y <c>B * H</c>.
/// </summary>
internal static partial class TensorCoreFlashKernels
{
    /// <summary>Keys staged in shared memory per step (half as many at D = 128 with 32 rows per warp, to fit the registers).</summary>
    public const int KeyTile = 64;

    /// <summary>
    /// Query rows per warp by default: 32 at both head dims, so each K/V fragment feeds two mma. Measured on an H100
    /// (bf16, tile 128, 2026-11-24): at D = 128 it beats 16 rows by 1.16x dense and 1.3x sparse (14.9 / 3.87 / 1.65 ms
    /// against 17.3 / 5.05 / 2.19 ms at 16384x24, density 1 / 0.25 / 0.10); at D = 64, 16 rows was 5-8% slower.
    /// </summary>
    public static int DefaultWarpRows(int headDim) => 32;

    /// <summary>Threads per group: one warp per <paramref name="warpRows"/> query rows.</summary>
    public static int GroupSize(int tileRows, int warpRows) => tileRows / warpRows * 32;

    /// <summary>
    /// Dynamic shared memory per group: <paramref name="stages"/> K/V tile pairs of 16-bit elements, after the Q tile
    /// where it stays resident (D = 128 with 32 rows per warp, whose key tiles are <c>KeyTile / 2</c>).
    /// </summary>
    public static int DynamicSharedBytes(int headDim, int stages, int tileRows, int warpRows) =>
        (StageBase(tileRows, headDim, warpRows) + stages * 2 * KeyTileOf(headDim, warpRows) * headDim) * 2;

    /// <summary>
    /// Dense attention for query tokens <c>[queryStart, queryEnd)</c> over keys <c>[0, sizes.ValidKeys)</c>; rows at or
    /// beyond <c>ValidKeys</c> (invalid text slots) are written as zeros. Grid x <c>ceil((queryEnd - queryStart) / tileRows)</c>.
    /// </summary>
    /// <remarks>
    /// <paramref name="queryStart"/> and <paramref name="queryEnd"/> come before <paramref name="sizes"/> so that each pair
    /// of ints the prologue reads sits in one 8-byte-aligned parameter slot (ptxas then loads it with one LDC.64).
    /// </remarks>
    [Kernel]
    [Specialize("T", typeof(Half), typeof(BFloat16))]
    [Specialize("headDim", 64, 128)]
    [Specialize("warpRows", 16, 32)]
    public static void Dense<T>(ArrayView<T> q, ArrayView<T> k, ArrayView<T> v, ArrayView<T> output, int queryStart, int queryEnd,
        FlashSizes sizes, int tileRows, int stages, [Constant] int headDim, [Constant] int warpRows) where T : unmanaged
    {
        ArrayView<T> shared = SharedMemory.GetDynamic<T>();
        // Dense has no rectification: with rectify false the compensation view is never read, and the kernel has no
        // float buffer, so a float view of shared memory stands in for it.
        ArrayView<float> unusedCompensation = shared.Cast<float>();
        int groupSize = GroupSize(tileRows, warpRows);
        int stageBase = StageBase(tileRows, headDim, warpRows);
        int keyTile = KeyTileOf(headDim, warpRows);
        int tid = Group.IdxX;
        int lane = Warp.LaneIdx;
        int warp = Warp.WarpIdx;
        long headBase = (long)Grid.IdxY * sizes.SequenceLength * headDim;
        int tileStart = queryStart + Grid.IdxX * tileRows;

        Span<uint> qf = stackalloc uint[2 * 128 / 4];
        Span<float> o = stackalloc float[2 * 128 / 2];
        Span<float> s = stackalloc float[2 * KeyTile / 2];
        Span<float> stats = stackalloc float[2 * 4];
        // Rows past the range stage a copy of its last row: in bounds, finite, and never stored.
        BeginQueryTile(shared, q, headBase, tileStart, queryEnd - 1, tid, warp, lane, tileRows, headDim, warpRows, groupSize, qf, o, stats);

        // A tile made only of invalid text slots has nothing to compute (the condition is the same for the whole group).
        int keysEnd = tileStart < sizes.ValidKeys ? sizes.ValidKeys : 0;
        int k0 = 0;
        BeginPipeline(shared, k, v, headBase, k0, Math.Min(k0 + keyTile, keysEnd), tid, headDim, groupSize, stages, stageBase, keyTile);
        // Software pipeline over the key tiles (see AttendTile); kBase is the stage holding the current tile.
        // A while loop, not a for: see the note on the k loop of TiledMatmulKernels.Matmul (non-constant bound).
        int kBase = stageBase;
        while (k0 < keysEnd)
        {
            int end = Math.Min(k0 + keyTile, keysEnd);
            int next = k0 + keyTile;
            AttendTile<T>(shared, k, v, headBase, k0, end, next, Math.Min(next + keyTile, keysEnd), ref kBase, tid, warp, lane, sizes.ScaleLog2,
                headDim, warpRows, groupSize, stages, stageBase, qf, o, s, stats);
            k0 = next;
        }

        EndQueryTile(output, headBase, tileStart, queryEnd, true, sizes.ValidKeys, false, 1f, unusedCompensation, 0, warp, lane, headDim,
            warpRows, o, stats);
    }

    /// <summary>
    /// Block-sparse attention for the visual query rows: query block i attends, by one online softmax, to the key blocks
    /// <c>lists[bh, i, 0..counts[bh, i])</c> and then to the valid text keys <c>[VisualTokens, ValidKeys)</c>. When
    /// <paramref name="rectify"/> is non-zero, <c>O = rectification[bh, i] * Os + compensation[bh, i, :]</c>.
    /// <c>tileRows</c> must divide the query block size; grid x <c>QueryBlocks * TilesPerBlock</c>.
    /// </summary>
    [Kernel]
    [Specialize("T", typeof(Half), typeof(BFloat16))]
    [Specialize("headDim", 64, 128)]
    [Specialize("warpRows", 16, 32)]
    public static void Sparse<T>(ArrayView<T> q, ArrayView<T> k, ArrayView<T> v, ArrayView<int> counts, ArrayView<int> lists,
        ArrayView<float> rectification, ArrayView<float> compensation, ArrayView<T> output, FlashSizes sizes, FlashBlocks blocks,
        int rectify, int tileRows, int stages, [Constant] int headDim, [Constant] int warpRows) where T : unmanaged
    {
        ArrayView<T> shared = SharedMemory.GetDynamic<T>();
        int groupSize = GroupSize(tileRows, warpRows);
        int stageBase = StageBase(tileRows, headDim, warpRows);
        int keyTile = KeyTileOf(headDim, warpRows);
        int tid = Group.IdxX;
        int lane = Warp.LaneIdx;
        int warp = Warp.WarpIdx;
        int bh = Grid.IdxY;
        int block = Grid.IdxX / blocks.TilesPerBlock;
        int tileStart = block * blocks.QueryBlockSize + (Grid.IdxX - block * blocks.TilesPerBlock) * tileRows;
        int blockEnd = Math.Min(block * blocks.QueryBlockSize + blocks.QueryBlockSize, blocks.VisualTokens);
        // The second tile of a partial last block may hold no row at all (group-uniform).
        if (tileStart < blockEnd)
        {
            long headBase = (long)bh * sizes.SequenceLength * headDim;
            int rowBlock = bh * blocks.QueryBlocks + block;

            Span<uint> qf = stackalloc uint[2 * 128 / 4];
            Span<float> o = stackalloc float[2 * 128 / 2];
            Span<float> s = stackalloc float[2 * KeyTile / 2];
            Span<float> stats = stackalloc float[2 * 4];
            BeginQueryTile(shared, q, headBase, tileStart, blockEnd - 1, tid, warp, lane, tileRows, headDim, warpRows, groupSize, qf, o, stats);

            // One software-pipelined loop over every key tile the row-block attends (the listed blocks, then the valid
            // text keys), so the unrolled tile body appears in the PTX once. [pos, rangeEnd) is what is left of the
            // range being walked; the cursor moves to the next tile before the current one is computed, since the
            // pipeline starts that tile's copies first (see AttendTile).
            int count = Math.Min(Math.Max(counts[rowBlock], 0), blocks.KeyBlocks);
            long listBase = (long)rowBlock * blocks.KeyBlocks;
            int entry = 0, phase = 0, pos = 0, rangeEnd = 0;
            Seek(lists, listBase, count, blocks, sizes.ValidKeys, ref entry, ref phase, ref pos, ref rangeEnd);
            BeginPipeline(shared, k, v, headBase, pos, Math.Min(pos + keyTile, rangeEnd), tid, headDim, groupSize, stages, stageBase, keyTile);
            int kBase = stageBase;
            while (pos < rangeEnd)
            {
                int start = pos;
                int end = Math.Min(pos + keyTile, rangeEnd);
                pos += keyTile;
                Seek(lists, listBase, count, blocks, sizes.ValidKeys, ref entry, ref phase, ref pos, ref rangeEnd);
                AttendTile<T>(shared, k, v, headBase, start, end, pos, Math.Min(pos + keyTile, rangeEnd), ref kBase, tid, warp, lane, sizes.ScaleLog2,
                    headDim, warpRows, groupSize, stages, stageBase, qf, o, s, stats);
            }

            // Without rectification R and C are never read (the caller may pass anything there). Every row of a visual
            // block is below ValidKeys, so none is zeroed as an invalid text slot.
            bool rectified = rectify != 0;
            float r = rectified ? rectification[rowBlock] : 1f;
            EndQueryTile(output, headBase, tileStart, blockEnd, false, sizes.ValidKeys, rectified, r, compensation, (long)rowBlock * headDim,
                warp, lane, headDim, warpRows, o, stats);
        }
    }
}
