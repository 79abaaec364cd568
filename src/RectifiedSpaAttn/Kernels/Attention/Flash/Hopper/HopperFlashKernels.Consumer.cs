using RectifiedSpaAttn.Compute;
using RectifiedSpaAttn.Kernels.Attention.Flash.TensorCore;

namespace RectifiedSpaAttn.Kernels.Attention.Flash.Hopper;

// The consumers' side of HopperFlashKernels: the products, the online softmax, the turns at the tensor cores, handing
// stages back, and the epilogue.
internal static partial class HopperFlashKernels
{
    /// <summary>
    /// The epilogue of a consumer warpgroup's 64 rows of tile <paramref name="tile"/>: row sums over the quad, O / l, and for block-sparse with
    /// rectification <c>O = R * Os + C</c>, stored below the tile's row end. Dense rows at or beyond the valid keys are
    /// invalid text slots, written as zeros; without rectification R and C are never read.
    /// </summary>
    private static void StoreTile<T>(ArrayView<T> output, ArrayView<float> rectification, ArrayView<float> compensation,
        int sequenceLength, int validKeys, int visualTokens, int queryEnd, bool isSparse, bool rectify, int tile, int tilesPerHead,
        int queryStart, int queryBlocks, int tileRows, int rowInTile, int lane, float l0, float l1, Span<float> oAcc, int headDim)
        where T : unmanaged
    {
        // The tile's place, found here: the consumers need it for nothing else (a tile's products go by its Q buffer and
        // the producer's notes), so a tile waiting for its last P·V keeps only its index.
        int bh = 0, tileStart = 0, rowBlock = 0;
        PlaceTile(tile, tilesPerHead, tileRows, isSparse, queryStart, queryBlocks, ref bh, ref tileStart, ref rowBlock);
        l0 += Warp.ShuffleXor(l0, 1);
        l0 += Warp.ShuffleXor(l0, 2);
        l1 += Warp.ShuffleXor(l1, 1);
        l1 += Warp.ShuffleXor(l1, 2);
        int rowEnd = isSparse ? Math.Min(tileStart + tileRows, visualTokens) : queryEnd;
        int firstRow = tileStart + rowInTile + 16 * (Warp.WarpIdx % 4);
        int row0 = firstRow + (lane >> 2);
        float scale0 = isSparse || row0 < validKeys ? TensorCoreFlashKernels.Normaliser(l0) : 0f;
        float scale1 = isSparse || row0 + 8 < validKeys ? TensorCoreFlashKernels.Normaliser(l1) : 0f;
        bool rectified = isSparse && rectify;
        float r = rectified ? rectification[rowBlock] : 1f;
        TensorCoreFlashKernels.StoreRows(output, (long)bh * sequenceLength * headDim, firstRow, lane, row0 < rowEnd,
            row0 + 8 < rowEnd, scale0, scale1, rectified, r, compensation, (long)rowBlock * headDim, headDim, oAcc, 0);
    }

    /// <summary>
    /// Finishes a tile whose last P·V is still to be issued (when no next tile's first S can go with it): that P·V with
    /// P from <paramref name="pFrag"/> and V at <paramref name="vBase"/> once its full barrier <paramref name="fullV"/>
    /// reaches <paramref name="fullVPhase"/>, the stage back to the producer (<paramref name="empty"/>), then the tile's
    /// store (<see cref="StoreTile"/>), and O zeroed for the next tile.
    /// </summary>
    private static void FinishTile<T>(ArrayView<T> smem, ArrayView<ulong> bars, ArrayView<T> output, ArrayView<float> rectification,
        ArrayView<float> compensation, int sequenceLength, int validKeys, int visualTokens, int queryEnd, bool isSparse, bool rectify,
        int tile, int tilesPerHead, int queryStart, int queryBlocks, int tileRows, int rowInTile, int lane, float l0, float l1,
        Span<uint> pFrag, Span<float> oAcc, int vBase, int fullV, int fullVPhase, int empty, int turn, int me, bool alternate,
        int headDim, int keyTile)
        where T : unmanaged
    {
        Mbarrier.Wait(bars, fullV, fullVPhase);
        TakeTurn(turn, me, alternate);
        Warpgroup.Fence();
        AccumulatePV<T>(smem, vBase, pFrag, oAcc, keyTile);
        PassTurn(turn, me, alternate);
        Warpgroup.WaitGroup(0);
        ReleaseForWarp(bars, empty, lane);
        StoreTile<T>(output, rectification, compensation, sequenceLength, validKeys, visualTokens, queryEnd, isSparse, rectify,
            tile, tilesPerHead, queryStart, queryBlocks, tileRows, rowInTile, lane, l0, l1, oAcc, headDim);
        for (int i = 0; i < headDim / 2; i++) oAcc[i] = 0f;
    }

    /// <summary>
    /// One arrival at <paramref name="barrier"/> for the whole warp, after every lane is done with what the barrier hands
    /// back (a stage, or the tile's Q). bar.warp.sync holds lane 0's arrival (a release) until every lane got there, so
    /// nothing a lane still does with the stage or Q, its note included (lane 0's <see cref="ReadNote"/>, shuffled to the
    /// rest), can race the producer's next write of them (after its acquiring wait).
    /// </summary>
    private static void ReleaseForWarp(ArrayView<ulong> bars, int barrier, int lane)
    {
        Warp.Barrier();
        if (lane == 0) Mbarrier.Arrive(bars, barrier);
    }

    /// <summary>
    /// Ping-pong between the two consumer warpgroups (FlashAttention-3's inter-warpgroup overlap), on the named barriers
    /// <paramref name="turn"/> + c: consumer <paramref name="me"/> issues its products only after the other has issued its
    /// previous ones (a phase of barrier <c>turn + me</c> over both warpgroups, 256 threads: its own Sync and the other's
    /// <see cref="PassTurn"/>), so the tensor cores take the two warpgroups' stages in turn and one's softmax runs under
    /// the other's products instead of both waiting in lock-step. Consumer 0 goes first: before its first turn consumer 1
    /// arrives once at consumer 0's barrier. Both walk the same keys, so they take equally many turns; consumer 1's last
    /// <see cref="PassTurn"/> is left without a Sync, which the hardware allows. Nothing to do with one consumer or when off.
    /// </summary>
    private static void TakeTurn(int turn, int me, bool alternate)
    {
        if (alternate) NamedBarrier.Sync(turn + me, 2 * 128);
    }

    /// <summary>Gives the tensor cores to the other consumer (every warp arrives, after it issued its products).</summary>
    private static void PassTurn(int turn, int me, bool alternate)
    {
        if (alternate) NamedBarrier.Arrive(turn + 1 - me, 2 * 128);
    }

    /// <summary>
    /// Fences, issues S = Q·Kᵀ (64 x <paramref name="keyTile"/>, f32) for the warpgroup's Q rows (from <paramref name="qBase"/>
    /// in each Q panel of <paramref name="tileRows"/> rows) and the K tile at <paramref name="kBase"/>, and commits the group.
    /// </summary>
    private static void IssueScores<T>(ArrayView<T> smem, int qBase, int tileRows, int kBase, Span<float> sAcc, int headDim, int keyTile)
        where T : unmanaged
    {
        Warpgroup.Fence();
        for (int kk = 0; kk < headDim / 16; kk++)
        {
            KernelHint.Unroll();
            int p = kk / 4, c = (kk % 4) * 16;
            Warpgroup.MmaAsync(sAcc, smem, p * tileRows * 64 + qBase + c, smem, kBase + p * keyTile * 64 + c, kk > 0);
        }
        Warpgroup.CommitGroup();
    }

    /// <summary>
    /// In the consumer's turn (<see cref="TakeTurn"/>): S = Q·Kᵀ for the K tile at <paramref name="kBase"/>
    /// (<see cref="IssueScores"/>) and, behind it, the previous stage's O += P·V for the V tile at <paramref name="vBase"/>
    /// (<see cref="AccumulatePV"/>), two commit groups; the caller waits for S with <c>WaitGroup(1)</c>.
    /// </summary>
    private static void IssueScoresBehindPV<T>(ArrayView<T> smem, int qBase, int tileRows, int kBase, Span<float> sAcc, int vBase,
        Span<uint> pFrag, Span<float> oAcc, int headDim, int keyTile, int turn, int me, bool alternate) where T : unmanaged
    {
        TakeTurn(turn, me, alternate);
        IssueScores<T>(smem, qBase, tileRows, kBase, sAcc, headDim, keyTile);
        AccumulatePV<T>(smem, vBase, pFrag, oAcc, keyTile);
        PassTurn(turn, me, alternate);
    }

    /// <summary>
    /// Note <paramref name="index"/> of the producer's <paramref name="notes"/> for the whole warp: lane 0 reads it with
    /// an atomic (adding 0) and shuffles it to the others. The producer writes notes with <c>Atomic.Exchange</c>; the
    /// mbarrier phases order both sides, and atomic accesses keep racecheck, which does not credit those phases, from
    /// reporting the hand-off (see <see cref="NoteInts"/>). One lane, so the warp's 32 reads of one word do not queue.
    /// </summary>
    private static int ReadNote(ArrayView<int> notes, int index, int lane)
    {
        int read = 0;
        if (lane == 0) read = Atomic.Add(ref notes[index], 0);
        return Warp.Shuffle(read, 0);
    }

    /// <summary>
    /// The online-softmax step of one stage on its scores <paramref name="sAcc"/> (accumulator i is key column
    /// <c>8 (i / 4) + 2 (lane % 4) + i % 2</c> of the stage: segment 0 below 64, then segment 1, and so on for the
    /// <paramref name="segments"/>, of the lengths that <paramref name="stage"/> holds (<see cref="StageInfo"/>);
    /// <paramref name="column"/> is <c>2 (lane % 4)</c>): masks
    /// keys past each segment's end to -inf, updates the two rows' maxima (log2 units) and partial sums, leaves P in
    /// <paramref name="sAcc"/> and the factors O must be rescaled by in <paramref name="alpha0"/>, <paramref name="alpha1"/>.
    /// </summary>
    private static void Softmax(Span<float> sAcc, int stage, int column, float scaleLog2, ref float m0, ref float m1,
        ref float l0, ref float l1, ref float alpha0, ref float alpha1, int segments)
    {
        int keyTile = segments * SegmentRows;
        bool full = SegmentLength(stage, 0) == SegmentRows && SegmentLength(stage, 1) == SegmentRows
            && (segments < 3 || SegmentLength(stage, 2) == SegmentRows);
        // segments is 2 or 3 (HopperFlashTuning.Validate refuses others), so the three named tests cover them: a loop
        // over the segments reads the same but changed the SASS of every variant.
        // Full segments (the group agrees) need no mask, and the scale moves into the exponent's FMA. Each branch
        // runs the whole step: ptxas hoists the wgmma wait that follows the softmax to the top of its basic block, so
        // code after a join here would wait for the previous P·V instead of running under it.
        // The row maxima and sums are kept in Lanes partial values a row (lane k takes every Lanes-th group of 4), so each
        // chain of dependent max or add is keyTile / 8 / Lanes long instead of keyTile / 8 (the exponentials wait on it).
        Span<float> part = stackalloc float[2 * Lanes];
        if (full)
        {
            for (int k = 0; k < 2 * Lanes; k++) part[k] = float.NegativeInfinity;
            for (int i = 0; i < keyTile / 8; i++)
            {
                part[i % Lanes] = MathF.Max(part[i % Lanes], MathF.Max(sAcc[4 * i], sAcc[4 * i + 1]));
                part[Lanes + i % Lanes] = MathF.Max(part[Lanes + i % Lanes], MathF.Max(sAcc[4 * i + 2], sAcc[4 * i + 3]));
            }
            Exponentiate(sAcc, part, scaleLog2, MathF.Max(m0, RowMax(part, 0) * scaleLog2), MathF.Max(m1, RowMax(part, 1) * scaleLog2),
                ref m0, ref m1, ref l0, ref l1, ref alpha0, ref alpha1, keyTile);
        }
        else
        {
            for (int k = 0; k < Lanes; k++)
            {
                part[k] = m0;
                part[Lanes + k] = m1;
            }
            for (int i = 0; i < keyTile / 8; i++)
            {
                int limit = SegmentLength(stage, i / (SegmentRows / 8));
                int key = column + 8 * (i % (SegmentRows / 8));
                bool in0 = key < limit, in1 = key + 1 < limit;
                sAcc[4 * i] = in0 ? sAcc[4 * i] * scaleLog2 : float.NegativeInfinity;
                sAcc[4 * i + 1] = in1 ? sAcc[4 * i + 1] * scaleLog2 : float.NegativeInfinity;
                sAcc[4 * i + 2] = in0 ? sAcc[4 * i + 2] * scaleLog2 : float.NegativeInfinity;
                sAcc[4 * i + 3] = in1 ? sAcc[4 * i + 3] * scaleLog2 : float.NegativeInfinity;
                part[i % Lanes] = MathF.Max(part[i % Lanes], MathF.Max(sAcc[4 * i], sAcc[4 * i + 1]));
                part[Lanes + i % Lanes] = MathF.Max(part[Lanes + i % Lanes], MathF.Max(sAcc[4 * i + 2], sAcc[4 * i + 3]));
            }
            Exponentiate(sAcc, part, 1f, RowMax(part, 0), RowMax(part, 1), ref m0, ref m1, ref l0, ref l1, ref alpha0, ref alpha1, keyTile);
        }
    }

    /// <summary>Partial maxima and sums a row in the softmax step (see <see cref="Softmax"/>); <see cref="RowMax"/> and <see cref="RowSum"/> combine four.</summary>
    private const int Lanes = 4;

    /// <summary>The maximum of row <paramref name="row"/>'s <see cref="Lanes"/> partial values (<c>part[row * Lanes ..]</c>), as a tree of depth 2.</summary>
    private static float RowMax(Span<float> part, int row) =>
        MathF.Max(MathF.Max(part[Lanes * row], part[Lanes * row + 1]), MathF.Max(part[Lanes * row + 2], part[Lanes * row + 3]));

    /// <summary>The sum of row <paramref name="row"/>'s <see cref="Lanes"/> partial values, as a tree of depth 2.</summary>
    private static float RowSum(Span<float> part, int row) =>
        (part[Lanes * row] + part[Lanes * row + 1]) + (part[Lanes * row + 2] + part[Lanes * row + 3]);

    /// <summary>
    /// The rest of a softmax step, from this thread's part of the new maxima (<paramref name="new0"/>, <paramref name="new1"/>,
    /// log2 units): the maxima over the quad, the rescale factors, <c>P = exp2(S * expScale - max)</c> in place and the
    /// partial sums. <paramref name="expScale"/> is the scale for raw scores and 1 for scores already scaled (or -inf).
    /// </summary>
    private static void Exponentiate(Span<float> sAcc, Span<float> part, float expScale, float new0, float new1, ref float m0,
        ref float m1, ref float l0, ref float l1, ref float alpha0, ref float alpha1, int keyTile)
    {
        // The 4 lanes of a quad hold the same two rows.
        new0 = MathF.Max(new0, Warp.ShuffleXor(new0, 1));
        new0 = MathF.Max(new0, Warp.ShuffleXor(new0, 2));
        new1 = MathF.Max(new1, Warp.ShuffleXor(new1, 1));
        new1 = MathF.Max(new1, Warp.ShuffleXor(new1, 2));
        alpha0 = XMath.Exp2Fast(m0 - new0);
        alpha1 = XMath.Exp2Fast(m1 - new1);
        m0 = new0;
        m1 = new1;
        // The partial sums reuse the partial maxima's registers (those are consumed above).
        for (int k = 0; k < 2 * Lanes; k++) part[k] = 0f;
        for (int i = 0; i < keyTile / 8; i++)
        {
            sAcc[4 * i] = XMath.Exp2Fast(MathF.FusedMultiplyAdd(sAcc[4 * i], expScale, -new0));
            sAcc[4 * i + 1] = XMath.Exp2Fast(MathF.FusedMultiplyAdd(sAcc[4 * i + 1], expScale, -new0));
            sAcc[4 * i + 2] = XMath.Exp2Fast(MathF.FusedMultiplyAdd(sAcc[4 * i + 2], expScale, -new1));
            sAcc[4 * i + 3] = XMath.Exp2Fast(MathF.FusedMultiplyAdd(sAcc[4 * i + 3], expScale, -new1));
            part[i % Lanes] += sAcc[4 * i] + sAcc[4 * i + 1];
            part[Lanes + i % Lanes] += sAcc[4 * i + 2] + sAcc[4 * i + 3];
        }
        l0 = MathF.FusedMultiplyAdd(l0, alpha0, RowSum(part, 0));
        l1 = MathF.FusedMultiplyAdd(l1, alpha1, RowSum(part, 1));
    }

    /// <summary>P to 16 bits as wgmma register-A fragments: S's accumulators 8q..8q+7 are exactly the fragment of P's k block q (16 keys).</summary>
    private static void PackP<T>(Span<float> sAcc, Span<uint> pFrag, int keyTile) where T : unmanaged
    {
        for (int qb = 0; qb < keyTile / 16; qb++)
        {
            pFrag[4 * qb] = TensorCoreFlashKernels.Pack<T>(sAcc[8 * qb], sAcc[8 * qb + 1]);
            pFrag[4 * qb + 1] = TensorCoreFlashKernels.Pack<T>(sAcc[8 * qb + 2], sAcc[8 * qb + 3]);
            pFrag[4 * qb + 2] = TensorCoreFlashKernels.Pack<T>(sAcc[8 * qb + 4], sAcc[8 * qb + 5]);
            pFrag[4 * qb + 3] = TensorCoreFlashKernels.Pack<T>(sAcc[8 * qb + 6], sAcc[8 * qb + 7]);
        }
    }

    /// <summary>
    /// Issues O += P·V for the V tile at <paramref name="vBase"/> (a transposed B, 64-column panels of
    /// <paramref name="keyTile"/> rows) with P from <paramref name="pFrag"/> (register-A fragments, 4 per 16 keys), and
    /// commits the group. The caller fenced since the fragments and the accumulators were last written.
    /// </summary>
    private static void AccumulatePV<T>(ArrayView<T> smem, int vBase, Span<uint> pFrag, Span<float> oAcc, int keyTile) where T : unmanaged
    {
        for (int qb = 0; qb < keyTile / 16; qb++)
        {
            KernelHint.Unroll();
            Warpgroup.MmaAsync(oAcc, pFrag[4 * qb], pFrag[4 * qb + 1], pFrag[4 * qb + 2], pFrag[4 * qb + 3], smem, vBase + qb * 16 * 64,
                true, keyTile * 128);
        }
        Warpgroup.CommitGroup();
    }
}
