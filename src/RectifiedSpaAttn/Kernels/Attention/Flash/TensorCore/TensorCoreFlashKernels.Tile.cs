using RectifiedSpaAttn.Compute;
// This namespace is itself named TensorCore, which would hide the intrinsics class.
using Tc = RectifiedSpaAttn.Compute.TensorCore;

namespace RectifiedSpaAttn.Kernels.Attention.Flash.TensorCore;

/// <summary>
/// The per-tile steps the tensor-core flash kernels share (inlined into each kernel by the compiler). The key cursor
/// (<see cref="Seek"/>), <see cref="Pack{T}"/>, <see cref="Normaliser"/> and <see cref="StoreRows{T}"/> also serve the
/// Hopper kernels (<c>Hopper.HopperFlashKernels</c>): a wgmma accumulator holds a row tile in the same layout as mma.sync's.
/// </summary>
internal static partial class TensorCoreFlashKernels
{
    /// <summary>16-row tiles of query rows per warp: 2 with 32 rows per warp, else 1 (a constant in every variant).</summary>
    private static int RowTiles(int warpRows) => warpRows == 32 ? 2 : 1;

    /// <summary>
    /// Whether Q stays in shared memory: at D = 128, 32 rows of Q fragments (64 registers) would not fit beside the
    /// accumulators, so Q stays ahead of the K/V stages and <see cref="ScoreTile{T}"/> re-reads its fragments each tile.
    /// </summary>
    private static bool QueryInShared(int headDim, int warpRows) => headDim == 128 && warpRows == 32;

    /// <summary>Keys per tile: there the key tile is also halved, which halves the S fragments (64 keys would not fit either).</summary>
    private static int KeyTileOf(int headDim, int warpRows) => QueryInShared(headDim, warpRows) ? KeyTile / 2 : KeyTile;

    /// <summary>Element offset of the first K/V stage in dynamic shared memory: after the Q tile where Q stays there.</summary>
    private static int StageBase(int tileRows, int headDim, int warpRows) => QueryInShared(headDim, warpRows) ? tileRows * headDim : 0;

    /// <summary>
    /// The prologue both kernels share: zeroes the output accumulators <paramref name="o"/> and sets the row statistics
    /// (maxima -1e30, sums 0), stages the Q rows <c>[first, first + tileRows)</c> of the group's tile (rows past
    /// <paramref name="last"/> copy row <paramref name="last"/>), and, unless Q stays in shared memory, loads the warp's Q
    /// fragments into <paramref name="qf"/>. Ends with a barrier: every warp holds its Q fragments before the first K copy
    /// overwrites the staging (with Q resident the stages start after it, so the barrier is only redundant there).
    /// </summary>
    private static void BeginQueryTile<T>(ArrayView<T> shared, ArrayView<T> q, long headBase, int first, int last, int tid,
        int warp, int lane, int tileRows, int headDim, int warpRows, int groupSize, Span<uint> qf, Span<float> o, Span<float> stats)
        where T : unmanaged
    {
        int mTiles = RowTiles(warpRows);
        for (int i = 0; i < mTiles * headDim / 2; i++) o[i] = 0f;
        for (int mt = 0; mt < mTiles; mt++)
        {
            stats[mt * 4] = -1e30f;
            stats[mt * 4 + 1] = -1e30f;
            stats[mt * 4 + 2] = 0f;
            stats[mt * 4 + 3] = 0f;
        }
        CopyRows(shared, 0, q, headBase, first, last, tid, tileRows, headDim, groupSize);
        AsyncCopy.CommitGroup();
        AsyncCopy.WaitGroup(0);
        Group.Barrier();
        if (!QueryInShared(headDim, warpRows)) LoadQueryFragments(shared, warp, lane, headDim, mTiles, qf);
        Group.Barrier();
    }

    /// <summary>
    /// One step of the key pipeline both kernels share: key tile <c>[start, end)</c>, staged at <paramref name="kBase"/>,
    /// with <c>[next, nextEnd)</c> the tile after it (none when <paramref name="next"/> &gt;= <paramref name="nextEnd"/>):
    /// opens the tile (<see cref="OpenTile{T}"/>), computes S and the softmax (<see cref="ScoreTile{T}"/>), starts the next
    /// K copy between S and P V (<see cref="MidTile{T}"/>), accumulates P V (<see cref="AccumulateTile{T}"/>), and moves
    /// <paramref name="kBase"/> to the stage of the next tile.
    /// </summary>
    private static void AttendTile<T>(ArrayView<T> shared, ArrayView<T> k, ArrayView<T> v, long headBase, int start, int end,
        int next, int nextEnd, ref int kBase, int tid, int warp, int lane, float scaleLog2, int headDim, int warpRows,
        int groupSize, int stages, int stageBase, Span<uint> qf, Span<float> o, Span<float> s, Span<float> stats) where T : unmanaged
    {
        int mTiles = RowTiles(warpRows);
        int keyTile = KeyTileOf(headDim, warpRows);
        OpenTile(shared, k, v, headBase, start, end, next, nextEnd, kBase, tid, headDim, groupSize, stages, stageBase, keyTile);
        ScoreTile<T>(shared, kBase, start, end, warp, lane, scaleLog2, headDim, mTiles, keyTile, QueryInShared(headDim, warpRows), qf, o, s, stats);
        MidTile(shared, k, headBase, next, nextEnd, tid, headDim, groupSize, stages, stageBase, keyTile);
        AccumulateTile<T>(shared, kBase + keyTile * headDim, lane, headDim, mTiles, keyTile, s, o);
        kBase = stages == 2 ? 2 * stageBase + 2 * keyTile * headDim - kBase : stageBase;
    }

    /// <summary>
    /// The epilogue both kernels share: sums each of the warp's rows over its quad and writes the rows below
    /// <paramref name="rowsEnd"/> (<see cref="StoreRows{T}"/>), normalised; with <paramref name="zeroInvalidRows"/> (dense),
    /// rows at or past <paramref name="validKeys"/> (invalid text slots) are written as zeros. <paramref name="rectify"/>,
    /// <paramref name="w"/> and the compensation are <see cref="StoreRows{T}"/>'s.
    /// </summary>
    private static void EndQueryTile<T>(ArrayView<T> output, long headBase, int tileStart, int rowsEnd, bool zeroInvalidRows,
        int validKeys, bool rectify, float w, ArrayView<float> compensation, long compensationBase, int warp, int lane, int headDim,
        int warpRows, Span<float> o, Span<float> stats) where T : unmanaged
    {
        int mTiles = RowTiles(warpRows);
        for (int mt = 0; mt < mTiles; mt++)
        {
            float sum0 = stats[mt * 4 + 2], sum1 = stats[mt * 4 + 3];
            sum0 += Warp.ShuffleXor(sum0, 1);
            sum0 += Warp.ShuffleXor(sum0, 2);
            sum1 += Warp.ShuffleXor(sum1, 1);
            sum1 += Warp.ShuffleXor(sum1, 2);
            int firstRow = tileStart + (warp * mTiles + mt) * 16;
            int row0 = firstRow + (lane >> 2);
            float scale0 = zeroInvalidRows ? (row0 < validKeys ? Normaliser(sum0) : 0f) : Normaliser(sum0);
            float scale1 = zeroInvalidRows ? (row0 + 8 < validKeys ? Normaliser(sum1) : 0f) : Normaliser(sum1);
            StoreRows(output, headBase, firstRow, lane, row0 < rowsEnd, row0 + 8 < rowsEnd, scale0, scale1, rectify, w,
                compensation, compensationBase, headDim, o, mt * (headDim / 2));
        }
    }

    /// <summary>
    /// Element offset of 16-byte chunk <paramref name="chunk"/> of row <paramref name="row"/> in a row-major shared tile of
    /// <paramref name="headDim"/> columns. The 8 rows one ldmatrix phase reads sit at the same chunk of 8 consecutive rows,
    /// i.e. on the same banks; XOR-ing the chunk with <c>row % 8</c> moves each to a different 16-byte slot of its
    /// 128-byte line, so every phase is conflict-free without padding.
    /// </summary>
    private static int Swizzle(int row, int chunk, int headDim) => row * headDim + ((chunk ^ (row & 7)) << 3);

    /// <summary>
    /// Issues the cp.async copies of <paramref name="rows"/> token rows starting at token <paramref name="first"/> into the
    /// swizzled tile at <paramref name="tileBase"/>. Tokens past <paramref name="last"/> copy row <paramref name="last"/>
    /// instead: never out of bounds, and the copies hold finite values (the caller masks their scores to -inf and
    /// their P to 0; stale or uninitialised shared memory could hold NaN bit patterns, and 0 * NaN is NaN).
    /// </summary>
    private static void CopyRows<T>(ArrayView<T> shared, int tileBase, ArrayView<T> source, long headBase, int first, int last,
        int tid, int rows, int headDim, int groupSize) where T : unmanaged
    {
        // A row is headDim / 8 chunks, 8 or 16, and the group size is a multiple of it, so a thread copies the same
        // chunk of every (groupSize / chunks)th row: its rows advance by a step, and no division is left in the loop.
        // (Written with c / chunks, the loop compiled to a full division sequence per copy, the largest share of the
        // kernel's integer instructions under ncu at D = 64.)
        int chunkShift = headDim == 128 ? 4 : 3;
        int chunk = tid & ((1 << chunkShift) - 1);
        int rowStep = groupSize >> chunkShift;
        long chunkSource = headBase + chunk * 8;
        // A while loop: the trip count depends on the group size, a launch value (the query tile is 64 or 128 rows).
        int r = tid >> chunkShift;
        while (r < rows)
        {
            int token = Math.Min(first + r, last);
            AsyncCopy.Copy16(shared, tileBase + Swizzle(r, chunk, headDim), source, chunkSource + (long)token * headDim);
            r += rowStep;
        }
    }

    /// <summary>
    /// Loads the warp's <paramref name="mTiles"/> x 16 query rows of the staged Q tile as mma A fragments, 4 registers per
    /// 16 rows and 16 head dims (row tile mt at <c>qf[(mt * headDim / 16 + ks) * 4]</c>). The x4 matrices are (rows 0-7,
    /// dims 0-7), (rows 8-15, dims 0-7), (rows 0-7, dims 8-15), (rows 8-15, dims 8-15): exactly a0a1, a2a3, a4a5, a6a7.
    /// Lane l names row l % 16 and dim half l / 16.
    /// </summary>
    private static void LoadQueryFragments<T>(ArrayView<T> shared, int warp, int lane, int headDim, int mTiles, Span<uint> qf)
        where T : unmanaged
    {
        for (int mt = 0; mt < mTiles; mt++)
        {
            for (int ks = 0; ks < headDim / 16; ks++)
            {
                int at = (mt * (headDim / 16) + ks) * 4;
                UInt4 f = Tc.LoadMatrixX4(shared, Swizzle((warp * mTiles + mt) * 16 + (lane & 15), ks * 2 + (lane >> 4), headDim));
                qf[at] = f.X;
                qf[at + 1] = f.Y;
                qf[at + 2] = f.Z;
                qf[at + 3] = f.W;
            }
        }
    }

    /// <summary><c>acc[at..at+4] += A * B</c> with the mma of <typeparamref name="T"/> (fp16 or bf16 inputs, fp32 accumulation).</summary>
    private static void Mma<T>(Span<float> acc, int at, uint a0, uint a1, uint a2, uint a3, uint b0, uint b1) where T : unmanaged
    {
        var a = new MmaFragmentA(a0, a1, a2, a3);
        var b = new MmaFragmentB(b0, b1);
        var c = new MmaAccumulator(acc[at], acc[at + 1], acc[at + 2], acc[at + 3]);
        MmaAccumulator d = typeof(T) == typeof(Half) ? Tc.MmaHalf(a, b, c) : Tc.MmaBFloat16(a, b, c);
        acc[at] = d.C0;
        acc[at + 1] = d.C1;
        acc[at + 2] = d.C2;
        acc[at + 3] = d.C3;
    }

    /// <summary>Rounds two probabilities to <typeparamref name="T"/> and packs them (lower key in the low half).</summary>
    internal static uint Pack<T>(float lo, float hi) where T : unmanaged =>
        typeof(T) == typeof(Half) ? Packed.PackHalf(lo, hi) : Packed.PackBFloat16(lo, hi);

    /// <summary>
    /// Moves the sparse tile cursor to a range with keys left: the listed key blocks (entry by entry; every thread reads
    /// the same int, so it stays group-uniform), then the text keys <c>[visualTokens, validKeys)</c>. Out-of-range list
    /// entries become empty ranges. Afterwards the next tile is <c>[pos, min(pos + KeyTile, rangeEnd))</c>, or there is
    /// none when <c>pos &gt;= rangeEnd</c>.
    /// </summary>
    private static void Seek(ArrayView<int> lists, long listBase, int count, FlashBlocks blocks, int validKeys, ref int entry,
        ref int phase, ref int pos, ref int rangeEnd)
    {
        SeekKeys(lists, listBase, count, blocks.KeyBlocks, blocks.KeyBlockSize, blocks.VisualTokens, validKeys, ref entry, ref phase, ref pos, ref rangeEnd);
    }

    /// <summary><see cref="Seek"/> with the block sizes as scalars (the Hopper kernels take them as plain parameters).</summary>
    internal static void SeekKeys(ArrayView<int> lists, long listBase, int count, int keyBlocks, int keyBlockSize, int visualTokens,
        int validKeys, ref int entry, ref int phase, ref int pos, ref int rangeEnd)
    {
        while (pos >= rangeEnd && phase < 2)
        {
            if (entry < count)
            {
                int j = lists[listBase + entry];
                bool inRange = j >= 0 && j < keyBlocks;
                pos = inRange ? j * keyBlockSize : 0;
                rangeEnd = inRange ? Math.Min(pos + keyBlockSize, visualTokens) : 0;
                entry++;
            }
            else if (phase == 0)
            {
                pos = visualTokens;
                rangeEnd = validKeys;
                phase = 1;
            }
            else phase = 2;
        }
    }

    /// <summary>
    /// Issues the copies a key pipeline starts with, for the first tile <c>[first, firstEnd)</c> into the first stage, at
    /// <paramref name="stageBase"/> (nothing
    /// when <paramref name="first"/> is past <paramref name="firstEnd"/>): its K rows, and with
    /// <paramref name="stages"/> = 2 its V rows too; one commit group.
    /// </summary>
    private static void BeginPipeline<T>(ArrayView<T> shared, ArrayView<T> k, ArrayView<T> v, long headBase, int first,
        int firstEnd, int tid, int headDim, int groupSize, int stages, int stageBase, int keyTile) where T : unmanaged
    {
        if (first < firstEnd)
        {
            CopyRows(shared, stageBase, k, headBase, first, firstEnd - 1, tid, keyTile, headDim, groupSize);
            if (stages == 2) CopyRows(shared, stageBase + keyTile * headDim, v, headBase, first, firstEnd - 1, tid, keyTile, headDim, groupSize);
        }
        AsyncCopy.CommitGroup();
    }

    /// <summary>
    /// Opens key tile <c>[start, end)</c>, staged at <paramref name="kBase"/> (K) and <c>kBase + KeyTile * headDim</c> (V),
    /// whose copies are the only outstanding cp.async group; <c>[next, nextEnd)</c> is the tile after it (none when
    /// <paramref name="next"/> &gt;= <paramref name="nextEnd"/>). Waits for the copies and synchronises the group: the
    /// barrier makes them everyone's and guarantees every warp is done with the previous tile. Then, with
    /// <paramref name="stages"/> = 1 (one K and one V buffer), starts this tile's V copy, which overlaps S and the softmax
    /// (<see cref="MidTile{T}"/> then starts the next K); with 2 (a ring of two K/V stages), starts the whole next tile into
    /// the other stage, which overlaps all of this tile's work and needs no second barrier. The stages start at
    /// <paramref name="stageBase"/>.
    /// </summary>
    private static void OpenTile<T>(ArrayView<T> shared, ArrayView<T> k, ArrayView<T> v, long headBase, int start, int end,
        int next, int nextEnd, int kBase, int tid, int headDim, int groupSize, int stages, int stageBase, int keyTile) where T : unmanaged
    {
        AsyncCopy.WaitGroup(0);
        Group.Barrier();
        if (stages == 2)
        {
            // The other stage held the previous tile, which the barrier above retired.
            int other = 2 * stageBase + 2 * keyTile * headDim - kBase;
            if (next < nextEnd)
            {
                CopyRows(shared, other, k, headBase, next, nextEnd - 1, tid, keyTile, headDim, groupSize);
                CopyRows(shared, other + keyTile * headDim, v, headBase, next, nextEnd - 1, tid, keyTile, headDim, groupSize);
            }
        }
        else CopyRows(shared, kBase + keyTile * headDim, v, headBase, start, end - 1, tid, keyTile, headDim, groupSize);
        AsyncCopy.CommitGroup();
    }

    /// <summary>
    /// With <paramref name="stages"/> = 1, between S and P V: waits for the V copy <see cref="OpenTile{T}"/> started; the
    /// barrier also guarantees every warp is done with K, so the next tile's K copy (into the one K buffer) can start and
    /// overlap P V. With 2 there is nothing to do (the next tile is already on its way). The K buffer is at
    /// <paramref name="stageBase"/>.
    /// </summary>
    private static void MidTile<T>(ArrayView<T> shared, ArrayView<T> k, long headBase, int next, int nextEnd, int tid,
        int headDim, int groupSize, int stages, int stageBase, int keyTile) where T : unmanaged
    {
        if (stages != 2)
        {
            AsyncCopy.WaitGroup(0);
            Group.Barrier();
            if (next < nextEnd)
            {
                CopyRows(shared, stageBase, k, headBase, next, nextEnd - 1, tid, keyTile, headDim, groupSize);
                AsyncCopy.CommitGroup();
            }
        }
    }

    /// <summary>
    /// The first half of a key tile <c>[start, end)</c> (at most <see cref="KeyTile"/> keys) whose K rows are staged (and
    /// visible to the group) at <paramref name="kBase"/>: computes S = Q K^T on tensor cores and runs the online-softmax
    /// update on the accumulator fragments, leaving the probabilities in <paramref name="s"/> (<c>KeyTile / 2</c> per row
    /// tile). In row tile mt, lane l holds rows g = l / 4 and g + 8 and, in n-tile j, keys 8j + 2(l % 4) and the next;
    /// <paramref name="stats"/> holds per row tile the two row maxima (log2 units) then the two partial row sums of this
    /// lane's own columns (the rescale factor is equal across the quad, so the quad sum is taken once at the end).
    /// The Q fragments come from <paramref name="qf"/>, or with <paramref name="qInShared"/> from the staged Q tile at
    /// element 0 of <paramref name="shared"/>, re-read per 16 head dims (fewer live registers, more shared-memory reads).
    /// </summary>
    private static void ScoreTile<T>(ArrayView<T> shared, int kBase, int start, int end, int warp, int lane, float scaleLog2,
        int headDim, int mTiles, int keyTile, bool qInShared, Span<uint> qf, Span<float> o, Span<float> s, Span<float> stats)
        where T : unmanaged
    {
        // S = Q K^T. K row-major [key][dim] is the col-major B operand, so ldmatrix without .trans: x4 matrices are
        // (keys 0-7, dims lo), (keys 0-7, dims hi), (keys 8-15, dims lo), (keys 8-15, dims hi) = b0b1 of two n-tiles.
        // Each K fragment feeds every row tile of the warp (more row tiles, fewer shared-memory reads per mma).
        for (int i = 0; i < mTiles * keyTile / 2; i++) s[i] = 0f;
        Span<uint> qa = stackalloc uint[8];
        for (int ks = 0; ks < headDim / 16; ks++)
        {
            for (int mt = 0; mt < mTiles; mt++)
            {
                if (qInShared)
                {
                    // The same x4 load LoadQueryFragments does once, here per 16 head dims.
                    UInt4 a = Tc.LoadMatrixX4(shared, Swizzle((warp * mTiles + mt) * 16 + (lane & 15), ks * 2 + (lane >> 4), headDim));
                    qa[mt * 4] = a.X;
                    qa[mt * 4 + 1] = a.Y;
                    qa[mt * 4 + 2] = a.Z;
                    qa[mt * 4 + 3] = a.W;
                }
                else
                {
                    int q = (mt * (headDim / 16) + ks) * 4;
                    qa[mt * 4] = qf[q];
                    qa[mt * 4 + 1] = qf[q + 1];
                    qa[mt * 4 + 2] = qf[q + 2];
                    qa[mt * 4 + 3] = qf[q + 3];
                }
            }
            for (int np = 0; np < keyTile / 16; np++)
            {
                int key = np * 16 + (lane & 7) + ((lane >> 4) << 3);
                UInt4 f = Tc.LoadMatrixX4(shared, kBase + Swizzle(key, ks * 2 + ((lane >> 3) & 1), headDim));
                for (int mt = 0; mt < mTiles; mt++)
                {
                    Mma<T>(s, mt * (keyTile / 2) + np * 8, qa[mt * 4], qa[mt * 4 + 1], qa[mt * 4 + 2], qa[mt * 4 + 3], f.X, f.Y);
                    Mma<T>(s, mt * (keyTile / 2) + np * 8 + 4, qa[mt * 4], qa[mt * 4 + 1], qa[mt * 4 + 2], qa[mt * 4 + 3], f.Z, f.W);
                }
            }
        }

        int column = start + (lane & 3) * 2;
        for (int mt = 0; mt < mTiles; mt++)
        {
            int sb = mt * (keyTile / 2);
            int ob = mt * (headDim / 2);
            // A full tile (the group agrees: the bounds are the group's) has no key to mask, and the scale into log2
            // units moves into the exponent's FMA, max commuting with the positive scale: two instructions fewer per
            // score than scaling and masking each one, which at D = 64 is a tenth of the tile's work.
            bool full = end - start == keyTile;
            float max0 = stats[mt * 4], max1 = stats[mt * 4 + 1];
            float m0 = max0, m1 = max1;
            if (full)
            {
                float raw0 = float.NegativeInfinity, raw1 = float.NegativeInfinity;
                for (int j = 0; j < keyTile / 8; j++)
                {
                    raw0 = MathF.Max(raw0, MathF.Max(s[sb + j * 4], s[sb + j * 4 + 1]));
                    raw1 = MathF.Max(raw1, MathF.Max(s[sb + j * 4 + 2], s[sb + j * 4 + 3]));
                }
                m0 = MathF.Max(m0, raw0 * scaleLog2);
                m1 = MathF.Max(m1, raw1 * scaleLog2);
            }
            else
            {
                // Scale into log2 units and mask keys past the range end (a partial block or the text tail) to -inf.
                for (int j = 0; j < keyTile / 8; j++)
                {
                    bool in0 = column + j * 8 < end, in1 = column + j * 8 + 1 < end;
                    s[sb + j * 4] = in0 ? s[sb + j * 4] * scaleLog2 : float.NegativeInfinity;
                    s[sb + j * 4 + 1] = in1 ? s[sb + j * 4 + 1] * scaleLog2 : float.NegativeInfinity;
                    s[sb + j * 4 + 2] = in0 ? s[sb + j * 4 + 2] * scaleLog2 : float.NegativeInfinity;
                    s[sb + j * 4 + 3] = in1 ? s[sb + j * 4 + 3] * scaleLog2 : float.NegativeInfinity;
                    m0 = MathF.Max(m0, MathF.Max(s[sb + j * 4], s[sb + j * 4 + 1]));
                    m1 = MathF.Max(m1, MathF.Max(s[sb + j * 4 + 2], s[sb + j * 4 + 3]));
                }
            }
            // The 4 lanes of a quad hold the same two rows.
            m0 = MathF.Max(m0, Warp.ShuffleXor(m0, 1));
            m0 = MathF.Max(m0, Warp.ShuffleXor(m0, 2));
            m1 = MathF.Max(m1, Warp.ShuffleXor(m1, 1));
            m1 = MathF.Max(m1, Warp.ShuffleXor(m1, 2));
            // The maxima start at -1e30, not -inf, so alpha is exp2(finite) and a masked score gives exp2(-inf) = 0, never NaN.
            float alpha0 = XMath.Exp2Fast(max0 - m0), alpha1 = XMath.Exp2Fast(max1 - m1);
            stats[mt * 4] = m0;
            stats[mt * 4 + 1] = m1;
            float rs0 = 0f, rs1 = 0f;
            // A full tile's scores are still raw, a partial tile's already scaled (or -inf): one FMA serves both, as
            // fma(x, 1, -m) rounds exactly as x - m does.
            float expScale = full ? scaleLog2 : 1f;
            for (int j = 0; j < keyTile / 8; j++)
            {
                s[sb + j * 4] = XMath.Exp2Fast(MathF.FusedMultiplyAdd(s[sb + j * 4], expScale, -m0));
                s[sb + j * 4 + 1] = XMath.Exp2Fast(MathF.FusedMultiplyAdd(s[sb + j * 4 + 1], expScale, -m0));
                s[sb + j * 4 + 2] = XMath.Exp2Fast(MathF.FusedMultiplyAdd(s[sb + j * 4 + 2], expScale, -m1));
                s[sb + j * 4 + 3] = XMath.Exp2Fast(MathF.FusedMultiplyAdd(s[sb + j * 4 + 3], expScale, -m1));
                rs0 += s[sb + j * 4] + s[sb + j * 4 + 1];
                rs1 += s[sb + j * 4 + 2] + s[sb + j * 4 + 3];
            }
            stats[mt * 4 + 2] = MathF.FusedMultiplyAdd(stats[mt * 4 + 2], alpha0, rs0);
            stats[mt * 4 + 3] = MathF.FusedMultiplyAdd(stats[mt * 4 + 3], alpha1, rs1);
            for (int n = 0; n < headDim / 8; n++)
            {
                o[ob + n * 4] *= alpha0;
                o[ob + n * 4 + 1] *= alpha0;
                o[ob + n * 4 + 2] *= alpha1;
                o[ob + n * 4 + 3] *= alpha1;
            }
        }
    }

    /// <summary>
    /// O += P V for the V tile staged (and visible to the group) at <paramref name="vBase"/>. P's accumulator layout is
    /// the A fragment's: for keys 16kk..16kk+15, a0a1/a2a3 are
    /// n-tile 2kk's rows g/g+8 and a4a5/a6a7 n-tile 2kk+1's. V row-major [key][dim] is a row-major B, hence ldmatrix
    /// .trans: x4 matrices (keys 0-7, dims lo), (keys 8-15, dims lo), (keys 0-7, dims hi), (keys 8-15, dims hi) = b0b1 of
    /// two dim n-tiles. Each V fragment feeds every row tile of the warp.
    /// </summary>
    private static void AccumulateTile<T>(ArrayView<T> shared, int vBase, int lane, int headDim, int mTiles, int keyTile,
        Span<float> s, Span<float> o) where T : unmanaged
    {
        Span<uint> p = stackalloc uint[8];
        for (int kk = 0; kk < keyTile / 16; kk++)
        {
            for (int mt = 0; mt < mTiles; mt++)
            {
                int sb = mt * (keyTile / 2) + kk * 8;
                p[mt * 4] = Pack<T>(s[sb], s[sb + 1]);
                p[mt * 4 + 1] = Pack<T>(s[sb + 2], s[sb + 3]);
                p[mt * 4 + 2] = Pack<T>(s[sb + 4], s[sb + 5]);
                p[mt * 4 + 3] = Pack<T>(s[sb + 6], s[sb + 7]);
            }
            for (int dp = 0; dp < headDim / 16; dp++)
            {
                int key = kk * 16 + (lane & 7) + (((lane >> 3) & 1) << 3);
                UInt4 f = Tc.LoadMatrixX4Transposed(shared, vBase + Swizzle(key, dp * 2 + (lane >> 4), headDim));
                for (int mt = 0; mt < mTiles; mt++)
                {
                    int ob = mt * (headDim / 2) + dp * 8;
                    Mma<T>(o, ob, p[mt * 4], p[mt * 4 + 1], p[mt * 4 + 2], p[mt * 4 + 3], f.X, f.Y);
                    Mma<T>(o, ob + 4, p[mt * 4], p[mt * 4 + 1], p[mt * 4 + 2], p[mt * 4 + 3], f.Z, f.W);
                }
            }
        }
    }

    /// <summary>1 / rowSum, or 0 for a row that attended nothing (its accumulator is 0 too, so the output is 0, not NaN).</summary>
    internal static float Normaliser(float rowSum) => rowSum > 0f ? 1f / rowSum : 0f;

    /// <summary>
    /// Writes the warp's rows <c>firstRow + g</c> and <c>firstRow + g + 8</c> (each only where its flag says so) as
    /// <c>w * (o * scale) + c</c>, rounded once to <typeparamref name="T"/> (w = 1 and c = 0 without rectification,
    /// which FMA reproduces exactly; the compensation is then never read). The rows' accumulators start at <c>o[ob]</c>.
    /// </summary>
    internal static void StoreRows<T>(ArrayView<T> output, long headBase, int firstRow, int lane, bool write0, bool write1,
        float scale0, float scale1, bool rectify, float w, ArrayView<float> compensation, long compensationBase, int headDim,
        Span<float> o, int ob) where T : unmanaged
    {
        long row0 = headBase + (long)(firstRow + (lane >> 2)) * headDim;
        long row1 = row0 + 8L * headDim;
        for (int n = 0; n < headDim / 8; n++)
        {
            int d = n * 8 + (lane & 3) * 2;
            float c0 = rectify ? compensation[compensationBase + d] : 0f;
            float c1 = rectify ? compensation[compensationBase + d + 1] : 0f;
            if (write0)
            {
                output[row0 + d] = Element.FromFloat<T>(MathF.FusedMultiplyAdd(w, o[ob + n * 4] * scale0, c0));
                output[row0 + d + 1] = Element.FromFloat<T>(MathF.FusedMultiplyAdd(w, o[ob + n * 4 + 1] * scale0, c1));
            }
            if (write1)
            {
                output[row1 + d] = Element.FromFloat<T>(MathF.FusedMultiplyAdd(w, o[ob + n * 4 + 2] * scale1, c0));
                output[row1 + d + 1] = Element.FromFloat<T>(MathF.FusedMultiplyAdd(w, o[ob + n * 4 + 3] * scale1, c1));
            }
        }
    }
}
