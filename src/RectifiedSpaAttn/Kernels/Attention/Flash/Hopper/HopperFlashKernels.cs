using RectifiedSpaAttn.Compute;
using RectifiedSpaAttn.Kernels.Attention.Flash.TensorCore;
using RectifiedSpaAttn.Numerics;

namespace RectifiedSpaAttn.Kernels.Attention.Flash.Hopper;

/// <summary>
/// FlashAttention-3-style attention on Hopper (sm_90a: wgmma, mbarrier, bulk tensor copies), dense and block-sparse,
/// for 16-bit inputs, with the contract of the tensor-core kernels (<see cref="TensorCoreFlashKernels"/>). A group owns
/// <c>64 * consumers</c> query rows of one (b, h) and is <c>1 + consumers</c> warpgroups:
/// <list type="bullet">
/// <item>warpgroup 0 produces: one elected thread copies the Q tile once, then walks the key cursor and streams K and V
/// through a ring of <see cref="Stages"/> stages of <see cref="KeyTile"/> keys (128-byte-swizzled shared memory) with
/// the bulk tensor copy engine, each stage on a full/empty mbarrier pair;</item>
/// <item>each consumer warpgroup owns 64 query rows: S = Q·Kᵀ (64 x 128, f32) by wgmma from shared memory, the online
/// softmax in registers (base 2; row statistics over the quad of lanes that share a row), P packed to 16 bits straight
/// from S's accumulator layout into wgmma's register-A fragments, and O += P·V with V as a transposed (MN-major) B;</item>
/// <item>the epilogue divides by the row sums and, for block-sparse with rectification, stores
/// <c>O = R * Os + C</c>, all from the accumulators.</item>
/// </list>
/// A stage holds two <em>segments</em> of at most <see cref="SegmentRows"/> keys, each one copy per 64 head dims: the
/// key cursor (<see cref="TensorCoreFlashKernels.Seek"/>: the listed key blocks, then the valid text keys; for dense
/// the keys <c>[0, validKeys)</c>) is cut into segments, so key blocks of 64 and 128 and a text tail of any length fill
/// the stages alike. Keys past a segment's end are masked to -inf; the copy engine fills rows past the K/V maps'
/// height (<c>validKeys</c>) with zeros, so whatever a stage holds beyond its keys is finite (P is 0 there, and
/// 0 · NaN would not be). A stage with one segment copies it twice (its second half is all masked). Query rows past the
/// range are computed (the Q map zero-fills rows past S) and never stored.
/// Launch: group <see cref="GroupSize"/>, grid (tiles, B * H), dynamic shared memory <see cref="SharedBytes"/>.
/// Not yet: the overlap of one tile's softmax with the next tile's products, separate K and V barriers.
/// </summary>
internal static partial class HopperFlashKernels
{
    /// <summary>Query rows per consumer warpgroup (wgmma's M).</summary>
    public const int ConsumerRows = 64;

    /// <summary>Keys per copy: a key block of 64, half of one of 128, or 64 text keys.</summary>
    public const int SegmentRows = 64;

    /// <summary>Keys per pipeline stage (two segments): S is 64 x 128 per consumer warpgroup.</summary>
    public const int KeyTile = 2 * SegmentRows;

    /// <summary>Depth of the K/V ring.</summary>
    public const int Stages = 2;

    /// <summary>Threads per group: the producer warpgroup and <paramref name="consumers"/> consumer warpgroups.</summary>
    public static int GroupSize(int consumers) => 128 * (1 + consumers);

    /// <summary>Dynamic shared memory: the Q tile, the K/V ring, then the barriers (every tile 1024-byte aligned).</summary>
    public static int SharedBytes(int headDim, int consumers) =>
        (consumers * ConsumerRows * headDim + Stages * 2 * KeyTile * headDim) * 2 + (1 + 2 * Stages) * 8;

    /// <summary>
    /// Attention of the group's query rows; see the class summary. Dense (<paramref name="sparse"/> = 0): tile x covers
    /// rows <c>queryStart + x * tileRows</c> onwards, stored below <paramref name="queryEnd"/>, over the keys
    /// <c>[0, validKeys)</c>; rows at or beyond <paramref name="validKeys"/> are written as zeros; the sparse inputs are
    /// not read. Sparse: tile x is query block x (<c>tileRows</c> = the query block size), over its listed key blocks
    /// and the valid text keys, with the rectification epilogue when <paramref name="rectify"/> is non-zero.
    /// </summary>
    [Kernel]
    [RequiresHopper]
    [Specialize("T", typeof(Half), typeof(BFloat16))]
    [Specialize("headDim", 64, 128)]
    public static void Attention<T>(TensorMap q, TensorMap k, TensorMap v, ArrayView<T> output, ArrayView<int> counts,
        ArrayView<int> lists, ArrayView<float> rectification, ArrayView<float> compensation, int sequenceLength,
        int visualTokens, int validKeys, int queryStart, int queryEnd, int keyBlockSize, int queryBlocks, int keyBlocks,
        int sparse, int rectify, float scaleLog2, int consumers, [Constant] int headDim) where T : unmanaged
    {
        KernelHint.LaunchBounds(384, 1);
        ArrayView<T> smem = SharedMemory.GetDynamic<T>();
        ArrayView<ulong> bars = SharedMemory.GetDynamic<ulong>();
        int panels = headDim / 64;
        int tileRows = consumers * ConsumerRows;
        int qElements = tileRows * headDim, kvElements = KeyTile * headDim, stageElements = 2 * kvElements;
        int barrierBase = (qElements + Stages * stageElements) * 2 / 8;
        int qFull = barrierBase, full = barrierBase + 1, empty = barrierBase + 1 + Stages;
        int bh = Grid.IdxY;
        bool isSparse = sparse != 0;
        int tileStart = isSparse ? Grid.IdxX * tileRows : queryStart + Grid.IdxX * tileRows;
        int rowEnd = isSparse ? Math.Min(tileStart + tileRows, visualTokens) : queryEnd;
        int rowBlock = isSparse ? bh * queryBlocks + Grid.IdxX : 0;

        // The key cursor, walked alike by the producer and every consumer thread (the same ints, so it stays uniform).
        // Dense starts in the text phase with the whole key range; a tile of invalid text rows only has nothing to attend.
        int count = isSparse ? Math.Min(Math.Max(counts[rowBlock], 0), keyBlocks) : 0;
        long listBase = (long)rowBlock * keyBlocks;
        int entry = 0, phase = isSparse ? 0 : 1, pos = 0;
        int rangeEnd = isSparse || tileStart >= validKeys ? 0 : validKeys;
        TensorCoreFlashKernels.Seek(lists, listBase, count, keyBlocks, keyBlockSize, visualTokens, validKeys,
            ref entry, ref phase, ref pos, ref rangeEnd);
        int start0 = 0, len0 = 0, start1 = 0, len1 = 0;

        if (Group.IdxX == 0)
        {
            Mbarrier.Init(bars, qFull, 1);
            for (int st = 0; st < Stages; st++)
            {
                Mbarrier.Init(bars, full + st, 1);
                Mbarrier.Init(bars, empty + st, 4 * consumers);
            }
            BulkTensor.FenceProxyAsync();
        }
        Group.Barrier();

        if (Warpgroup.Index == 0)
        {
            Warpgroup.DecreaseRegisters(40);
            if (Warp.WarpIdx == 0)
            {
                bool leader = HopperWarp.ElectOne();
                if (leader)
                {
                    // Every tile arrives as d / 64 panels of 64 columns (128-byte rows), panel p after p whole panels,
                    // each panel as boxes of 64 rows.
                    Mbarrier.ArriveExpectTransaction(bars, qFull, qElements * 2);
                    for (int p = 0; p < panels; p++)
                    {
                        for (int c = 0; c < consumers; c++)
                            BulkTensor.Load3D(smem, (p * tileRows + c * ConsumerRows) * 64, q, 64 * p, tileStart + c * ConsumerRows, bh, bars, qFull);
                    }
                    int j = 0;
                    while (pos < rangeEnd)
                    {
                        NextStage(lists, listBase, count, keyBlocks, keyBlockSize, visualTokens, validKeys,
                            ref entry, ref phase, ref pos, ref rangeEnd, ref start0, ref len0, ref start1, ref len1);
                        int st = j % Stages;
                        Mbarrier.Wait(bars, empty + st, ((j / Stages) & 1) ^ 1);
                        Mbarrier.ArriveExpectTransaction(bars, full + st, stageElements * 2);
                        int kBase = qElements + st * stageElements;
                        for (int p = 0; p < panels; p++)
                        {
                            int panel = kBase + p * KeyTile * 64;
                            BulkTensor.Load3D(smem, panel, k, 64 * p, start0, bh, bars, full + st);
                            BulkTensor.Load3D(smem, panel + SegmentRows * 64, k, 64 * p, start1, bh, bars, full + st);
                            BulkTensor.Load3D(smem, panel + kvElements, v, 64 * p, start0, bh, bars, full + st);
                            BulkTensor.Load3D(smem, panel + kvElements + SegmentRows * 64, v, 64 * p, start1, bh, bars, full + st);
                        }
                        j++;
                    }
                }
            }
        }
        else
        {
            Warpgroup.IncreaseRegisters(232);
            int rowInTile = (Warpgroup.Index - 1) * ConsumerRows;
            int lane = Warp.LaneIdx;
            int column = 2 * (lane & 3);
            Span<float> sAcc = stackalloc float[KeyTile / 2];
            Span<float> oAcc = stackalloc float[headDim / 2];
            for (int i = 0; i < headDim / 2; i++) oAcc[i] = 0f;
            // This thread's two rows (g and g + 8 of its warp's 16): running maxima (log2 units) and partial sums. The
            // maxima start at -1e30, not -inf, so a fully masked tile gives alpha = exp2(0) and P = exp2(-inf) = 0, never NaN.
            float m0 = -1e30f, m1 = -1e30f, l0 = 0f, l1 = 0f;
            Mbarrier.Wait(bars, qFull, 0);
            int j = 0;
            while (pos < rangeEnd)
            {
                NextStage(lists, listBase, count, keyBlocks, keyBlockSize, visualTokens, validKeys,
                    ref entry, ref phase, ref pos, ref rangeEnd, ref start0, ref len0, ref start1, ref len1);
                int st = j % Stages;
                Mbarrier.Wait(bars, full + st, (j / Stages) & 1);
                int kBase = qElements + st * stageElements;
                Warpgroup.Fence();
                for (int kk = 0; kk < headDim / 16; kk++)
                {
                    KernelHint.Unroll();
                    int p = kk / 4, c = (kk % 4) * 16;
                    Warpgroup.MmaAsync(sAcc, smem, p * tileRows * 64 + rowInTile * 64 + c, smem, kBase + p * KeyTile * 64 + c, kk > 0);
                }
                Warpgroup.CommitGroup();
                Warpgroup.WaitGroup(0);

                // Accumulator i is key column 8 (i / 4) + 2 (lane % 4) + i % 2 of the stage: segment 0 below 64, then 1.
                // Two full segments (the group agrees) need no mask, and the scale moves into the exponent's FMA.
                bool whole = len0 == SegmentRows && len1 == SegmentRows;
                float new0 = m0, new1 = m1;
                if (whole)
                {
                    float raw0 = float.NegativeInfinity, raw1 = float.NegativeInfinity;
                    for (int i = 0; i < KeyTile / 8; i++)
                    {
                        raw0 = MathF.Max(raw0, MathF.Max(sAcc[4 * i], sAcc[4 * i + 1]));
                        raw1 = MathF.Max(raw1, MathF.Max(sAcc[4 * i + 2], sAcc[4 * i + 3]));
                    }
                    new0 = MathF.Max(new0, raw0 * scaleLog2);
                    new1 = MathF.Max(new1, raw1 * scaleLog2);
                }
                else
                {
                    for (int i = 0; i < KeyTile / 8; i++)
                    {
                        int limit = i < SegmentRows / 8 ? len0 : len1;
                        int key = column + 8 * (i % (SegmentRows / 8));
                        bool in0 = key < limit, in1 = key + 1 < limit;
                        sAcc[4 * i] = in0 ? sAcc[4 * i] * scaleLog2 : float.NegativeInfinity;
                        sAcc[4 * i + 1] = in1 ? sAcc[4 * i + 1] * scaleLog2 : float.NegativeInfinity;
                        sAcc[4 * i + 2] = in0 ? sAcc[4 * i + 2] * scaleLog2 : float.NegativeInfinity;
                        sAcc[4 * i + 3] = in1 ? sAcc[4 * i + 3] * scaleLog2 : float.NegativeInfinity;
                        new0 = MathF.Max(new0, MathF.Max(sAcc[4 * i], sAcc[4 * i + 1]));
                        new1 = MathF.Max(new1, MathF.Max(sAcc[4 * i + 2], sAcc[4 * i + 3]));
                    }
                }
                new0 = MathF.Max(new0, Warp.ShuffleXor(new0, 1));
                new0 = MathF.Max(new0, Warp.ShuffleXor(new0, 2));
                new1 = MathF.Max(new1, Warp.ShuffleXor(new1, 1));
                new1 = MathF.Max(new1, Warp.ShuffleXor(new1, 2));
                float alpha0 = XMath.Exp2Fast(m0 - new0), alpha1 = XMath.Exp2Fast(m1 - new1);
                m0 = new0;
                m1 = new1;
                for (int i = 0; i < headDim / 8; i++)
                {
                    oAcc[4 * i] *= alpha0;
                    oAcc[4 * i + 1] *= alpha0;
                    oAcc[4 * i + 2] *= alpha1;
                    oAcc[4 * i + 3] *= alpha1;
                }
                // A whole tile's scores are still raw, a masked tile's already scaled (or -inf): one FMA serves both.
                float expScale = whole ? scaleLog2 : 1f;
                float rs0 = 0f, rs1 = 0f;
                for (int i = 0; i < KeyTile / 8; i++)
                {
                    sAcc[4 * i] = XMath.Exp2Fast(MathF.FusedMultiplyAdd(sAcc[4 * i], expScale, -m0));
                    sAcc[4 * i + 1] = XMath.Exp2Fast(MathF.FusedMultiplyAdd(sAcc[4 * i + 1], expScale, -m0));
                    sAcc[4 * i + 2] = XMath.Exp2Fast(MathF.FusedMultiplyAdd(sAcc[4 * i + 2], expScale, -m1));
                    sAcc[4 * i + 3] = XMath.Exp2Fast(MathF.FusedMultiplyAdd(sAcc[4 * i + 3], expScale, -m1));
                    rs0 += sAcc[4 * i] + sAcc[4 * i + 1];
                    rs1 += sAcc[4 * i + 2] + sAcc[4 * i + 3];
                }
                l0 = MathF.FusedMultiplyAdd(l0, alpha0, rs0);
                l1 = MathF.FusedMultiplyAdd(l1, alpha1, rs1);

                // S's accumulators 8q..8q+7 are exactly the register-A fragment of P's k block q (16 key rows).
                Warpgroup.Fence();
                for (int qb = 0; qb < KeyTile / 16; qb++)
                {
                    KernelHint.Unroll();
                    Warpgroup.MmaAsync(oAcc, TensorCoreFlashKernels.Pack<T>(sAcc[8 * qb], sAcc[8 * qb + 1]),
                        TensorCoreFlashKernels.Pack<T>(sAcc[8 * qb + 2], sAcc[8 * qb + 3]),
                        TensorCoreFlashKernels.Pack<T>(sAcc[8 * qb + 4], sAcc[8 * qb + 5]),
                        TensorCoreFlashKernels.Pack<T>(sAcc[8 * qb + 6], sAcc[8 * qb + 7]),
                        smem, kBase + kvElements + qb * 16 * 64, true, KeyTile * 128);
                }
                Warpgroup.CommitGroup();
                Warpgroup.WaitGroup(0);
                if (lane == 0) Mbarrier.Arrive(bars, empty + st);
                j++;
            }

            l0 += Warp.ShuffleXor(l0, 1);
            l0 += Warp.ShuffleXor(l0, 2);
            l1 += Warp.ShuffleXor(l1, 1);
            l1 += Warp.ShuffleXor(l1, 2);
            int firstRow = tileStart + rowInTile + 16 * (Warp.WarpIdx % 4);
            int row0 = firstRow + (lane >> 2);
            // Dense rows at or beyond the valid keys are invalid text slots: written as zeros.
            float scale0 = isSparse || row0 < validKeys ? TensorCoreFlashKernels.Normaliser(l0) : 0f;
            float scale1 = isSparse || row0 + 8 < validKeys ? TensorCoreFlashKernels.Normaliser(l1) : 0f;
            // Without rectification R and C are never read (the caller may pass anything there).
            bool rectified = isSparse && rectify != 0;
            float r = rectified ? rectification[rowBlock] : 1f;
            TensorCoreFlashKernels.StoreRows(output, (long)bh * sequenceLength * headDim, firstRow, lane, row0 < rowEnd,
                row0 + 8 < rowEnd, scale0, scale1, rectified, r, compensation, (long)rowBlock * headDim, headDim, oAcc, 0);
        }
    }

    /// <summary>
    /// Takes the next stage's keys from the cursor: segment 0 is <c>[start0, start0 + len0)</c>, at most
    /// <see cref="SegmentRows"/> keys of the current range; segment 1 the next segment when the cursor has one, else a
    /// second copy of segment 0 with <c>len1 = 0</c> (copied, so its half of the stage holds finite values, and masked).
    /// </summary>
    private static void NextStage(ArrayView<int> lists, long listBase, int count, int keyBlocks, int keyBlockSize, int visualTokens,
        int validKeys, ref int entry, ref int phase, ref int pos, ref int rangeEnd, ref int start0, ref int len0, ref int start1,
        ref int len1)
    {
        start0 = pos;
        len0 = Math.Min(SegmentRows, rangeEnd - pos);
        pos += SegmentRows;
        TensorCoreFlashKernels.Seek(lists, listBase, count, keyBlocks, keyBlockSize, visualTokens, validKeys, ref entry, ref phase, ref pos, ref rangeEnd);
        start1 = start0;
        len1 = 0;
        if (pos < rangeEnd)
        {
            start1 = pos;
            len1 = Math.Min(SegmentRows, rangeEnd - pos);
            pos += SegmentRows;
            TensorCoreFlashKernels.Seek(lists, listBase, count, keyBlocks, keyBlockSize, visualTokens, validKeys, ref entry, ref phase, ref pos, ref rangeEnd);
        }
    }
}
