using RectifiedSpaAttn.Compute;
using RectifiedSpaAttn.Kernels.Attention.Flash.TensorCore;
using RectifiedSpaAttn.Numerics;

namespace RectifiedSpaAttn.Kernels.Attention.Flash.Hopper;

/// <summary>
/// FlashAttention-3-style attention on Hopper (sm_90a: wgmma, mbarrier, bulk tensor copies), dense and block-sparse,
/// for 16-bit inputs, with the contract of the tensor-core kernels (<see cref="TensorCoreFlashKernels"/>). A tile is
/// <c>64 * consumers</c> query rows of one (b, h); a group is <c>1 + consumers</c> warpgroups (consumers 1-3, a
/// specialisation) and takes tile after tile (a persistent grid), or one tile when the grid covers them all:
/// <list type="bullet">
/// <item>warpgroup 0 produces: one elected thread walks each tile's key cursor, copies its Q tile once the previous
/// tile's last S is done, and streams K and V through a ring of <c>stages</c> stages (2 or 3) of <c>64 * segments</c>
/// keys (128-byte-swizzled shared memory) with the bulk tensor copy engine, K and V of a stage each on its own full
/// mbarrier, the stage on one empty mbarrier; the ring runs on across tiles. It leaves the consumers a note per stage
/// (<see cref="StageInfo"/>: the segment lengths, whether the tile ends) and per tile (whether it has keys), so they
/// never walk the cursor (<see cref="NoteInts"/>);</item>
/// <item>each consumer warpgroup owns 64 query rows: S = Q·Kᵀ (64 x 128, f32) by wgmma from shared memory, the online
/// softmax in registers (base 2; row statistics over the quad of lanes that share a row), P packed to 16 bits straight
/// from S's accumulator layout into wgmma's register-A fragments, and O += P·V with V as a transposed (MN-major) B.
/// The products are pipelined across stages as in FlashAttention-3: stage j's S = Q·Kⱼᵀ and stage j-1's O += Pⱼ₋₁·Vⱼ₋₁
/// are issued together, and stage j's softmax runs while the tensor cores finish P·V (then O is rescaled, by warps
/// whose rows' maxima moved), so the exponentials do not leave the tensor cores idle. Two consumers may also take
/// turns at the tensor cores (ping-pong on named barriers 1 and 2, <see cref="TakeTurn"/>);</item>
/// <item>across tiles: with Q double-buffered (<see cref="QueryBuffers"/>) a tile's last P·V goes to the tensor cores
/// behind the next tile's first S, whose softmax runs under it; then the epilogue divides by the row sums and, for
/// block-sparse with rectification, stores <c>O = R * Os + C</c>, all from the accumulators. With one Q buffer the tile
/// is finished while the producer loads the next Q (<see cref="FinishTile"/>).</item>
/// </list>
/// A stage holds two or three <em>segments</em> (<see cref="BuiltSegments"/>) of at most <see cref="SegmentRows"/> keys, each one copy per 64 head dims: the
/// key cursor (<see cref="TensorCoreFlashKernels.Seek"/>: the listed key blocks, then the valid text keys; for dense
/// the keys <c>[0, validKeys)</c>) is cut into segments, so key blocks of 64 and 128 and a text tail of any length fill
/// the stages alike. Keys past a segment's end are masked to -inf; the copy engine fills rows past the K/V maps'
/// height (<c>validKeys</c>) with zeros, so whatever a stage holds beyond its keys is finite (P is 0 there, and
/// 0 · NaN would not be). A stage short of segments copies its first again for the rest (all masked). Query rows past the
/// range are computed (the Q map zero-fills rows past S) and never stored.
/// Launch: group <see cref="GroupSize"/>, a 1D grid of at most <c>tiles</c> groups, dynamic shared memory
/// <see cref="SharedBytes"/>; the host side is <c>HopperFlashSteps</c>, its knobs <c>HopperFlashTuning</c>.
/// Not yet: the epilogue through shared memory with the copy engine.
/// </summary>
internal static partial class HopperFlashKernels
{
    /// <summary>Query rows per consumer warpgroup (wgmma's M).</summary>
    public const int ConsumerRows = 64;

    /// <summary>Keys per copy: a key block of 64, half of one of 128, or 64 text keys.</summary>
    public const int SegmentRows = 64;

    /// <summary>
    /// The segments a variant's stages hold: <paramref name="segments"/> (2 or 3, a specialisation), except that three
    /// consumers take 2 (three S, P and O of 192 keys do not fit 160 registers a thread). A stage is
    /// <c>64 * segments</c> keys: S is 64 x 128 or 64 x 192 per consumer warpgroup.
    /// </summary>
    public static int BuiltSegments(int consumers, int segments) => consumers == 3 ? 2 : segments;

    /// <summary>Threads per group: the producer warpgroup and <paramref name="consumers"/> consumer warpgroups.</summary>
    public static int GroupSize(int consumers) => 128 * (1 + consumers);

    /// <summary>
    /// Consumer warpgroups a group may have: 3 at D = 64 (O is 32 registers a thread, so three warpgroups' S, P and O fit
    /// the register file), 2 at D = 128 (O alone is 64).
    /// </summary>
    public static int MaxConsumers(int headDim) => headDim == 64 ? 3 : 2;

    /// <summary>
    /// The consumer warpgroups a variant is built for. The count is a specialisation, so each group size gets the
    /// register split it can afford (<see cref="ConsumerRegisters"/>); D = 128's variant for three is built as the
    /// two-consumer kernel (three do not fit) and never launched (<see cref="MaxConsumers"/>).
    /// </summary>
    private static int BuiltConsumers(int headDim, int consumers) => consumers > MaxConsumers(headDim) ? MaxConsumers(headDim) : consumers;

    /// <summary>
    /// Registers the producer warpgroup keeps (it only addresses copies) and each consumer warpgroup takes
    /// (<c>setmaxnreg</c>) in a group of <paramref name="consumers"/> consumers. The pool is what the group was launched
    /// with, <see cref="LaunchRegisters"/> a thread (168 for 384 threads, 128 for 512), not the whole register file:
    /// <c>producer + consumers x consumer</c> must not exceed <c>(1 + consumers) x LaunchRegisters</c>, or an increase
    /// waits forever (a hang on the GPU that the CPU emulation cannot show). Two: 24 + 2 x 240 = 3 x 168; three:
    /// 24 + 3 x 160 = 4 x 128. One consumer needs no reallocation (a 256-thread group may use 255 registers a thread).
    /// </summary>
    internal static int ProducerRegisters(int consumers) => 24;

    /// <inheritdoc cref="ProducerRegisters"/>
    internal static int ConsumerRegisters(int consumers) => consumers == 3 ? 160 : 240;

    /// <summary>Registers a thread of a <paramref name="groupSize"/>-thread group gets at launch with one group a multiprocessor (64 Ki, in steps of 8, at most 255).</summary>
    internal static int LaunchRegisters(int groupSize) => Math.Min(65536 / groupSize / 8 * 8, 255);

    /// <summary>Shared memory a group may take: the 227 KiB an H100 or H200 grants one thread block.</summary>
    public const int MaxSharedBytes = 227 * 1024;

    /// <summary>
    /// Bytes before the first Q tile: the mbarriers (full and free per Q tile, then 3 per stage: at most 16, from byte 0)
    /// and the producer's notes (<see cref="NoteInts"/>, from byte <see cref="NotesByte"/>). Both sit at fixed small
    /// offsets, so their addresses are constants plus the ring position (with them after the ring, the base offsets took
    /// registers the consumers do not have: two variants spilled); the tiles after them stay 1024-byte aligned.
    /// </summary>
    public const int HeaderBytes = 1024;

    /// <summary>Byte offset of the producer's notes in shared memory, after room for 16 mbarriers.</summary>
    public const int NotesByte = 128;

    /// <summary>
    /// Dynamic shared memory: the header (<see cref="HeaderBytes"/>: mbarriers and notes), then
    /// <paramref name="queryBuffers"/> Q tiles, then the K/V ring; every tile 1024-byte aligned.
    /// </summary>
    public static int SharedBytes(int headDim, int consumers, int stages, int segments, int queryBuffers) =>
        HeaderBytes + (queryBuffers * consumers * ConsumerRows * headDim
            + stages * 2 * BuiltSegments(consumers, segments) * SegmentRows * headDim) * 2;

    /// <summary>
    /// Q tiles a group double-buffers when shared memory allows (<see cref="MaxSharedBytes"/>), else 1. With two, the
    /// producer loads the next tile's Q while the consumers still work on this one, and a consumer issues the next
    /// tile's first S behind this tile's last P·V (see the class summary); with one (D = 128 with two consumers and
    /// three stages) it finishes this tile while the next Q arrives.
    /// </summary>
    public static int QueryBuffers(int headDim, int consumers, int stages, int segments) =>
        SharedBytes(headDim, consumers, stages, segments, 2) <= MaxSharedBytes ? 2 : 1;

    /// <summary>
    /// Ints of the producer's notes to the consumers, in shared memory's header: whether the tile in each of
    /// the (at most 2) Q buffers has keys, then one <see cref="StageInfo"/> per stage of the ring. The producer writes a
    /// note before the barrier that hands over the tile or the stage (Q's or K's full barrier), the consumers read it
    /// after waiting on that barrier, and the producer writes it again only after the consumers gave the buffer or stage
    /// back: the mbarrier phases order every access (arrive releases, try_wait acquires). compute-sanitizer's racecheck
    /// does not credit mbarrier phases and reports these hand-offs as hazards (as it does on
    /// <c>MbarrierHandoffKernels.HandOff</c>, a kernel that does nothing else), so the notes are written and read
    /// by shared-memory atomics (<see cref="ReadNote"/>), which racecheck leaves out. The notes in global memory, where
    /// racecheck does not look either, ran 10-18% slower at D = 128 block-sparse (branch <c>exp/global-notes</c>,
    /// docs/benchmarks.md). A consumer loads a stage's note after its turn's named barriers (see the consumer loop).
    /// </summary>
    public static int NoteInts(int stages) => 2 + stages;

    /// <summary>
    /// Attention of the group's tiles (<c>Grid.IdxX</c>, then every <c>Grid.DimX</c>-th of the <paramref name="tiles"/>,
    /// <paramref name="tilesPerHead"/> per (b, h)); see the class summary. Dense (<paramref name="sparse"/> = 0): tile x
    /// of a (b, h) covers rows <c>queryStart + x * tileRows</c> onwards, stored below <paramref name="queryEnd"/>, over
    /// the keys <c>[0, validKeys)</c>; rows at or beyond <paramref name="validKeys"/> are written as zeros; the sparse
    /// inputs are not read. Sparse: tile x is query block x (<c>tileRows</c> = the query block size), over its listed key
    /// blocks and the valid text keys, with the rectification epilogue when <paramref name="rectify"/> is non-zero.
    /// </summary>
    [Kernel]
    [RequiresHopper]
    [Specialize("T", typeof(Half), typeof(BFloat16))]
    [Specialize("headDim", 64, 128)]
    [Specialize("consumers", 1, 2, 3)]
    [Specialize("segments", 2, 3)]
    public static void Attention<T>(TensorMap q, TensorMap k, TensorMap v, ArrayView<T> output, ArrayView<int> counts,
        ArrayView<int> lists, ArrayView<float> rectification, ArrayView<float> compensation, int sequenceLength,
        int visualTokens, int validKeys, int queryStart, int queryEnd, int keyBlockSize, int queryBlocks, int keyBlocks,
        int sparse, int rectify, float scaleLog2, int tilesPerHead, int tiles, [Constant] int consumers, int stages, int pingPong,
        [Constant] int headDim, [Constant] int segments, int queryBuffers) where T : unmanaged
    {
        int groups = BuiltConsumers(headDim, consumers);
        KernelHint.LaunchBounds(GroupSize(groups), 1);
        ArrayView<T> smem = SharedMemory.GetDynamic<T>();
        ArrayView<ulong> bars = SharedMemory.GetDynamic<ulong>();
        int panels = headDim / 64;
        int segs = BuiltSegments(groups, segments), keyTile = segs * SegmentRows;
        int tileRows = groups * ConsumerRows;
        int qElements = tileRows * headDim, kvElements = keyTile * headDim, stageElements = 2 * kvElements;
        // The header (see HeaderBytes): the mbarriers from byte 0, then the producer's notes (see NoteInts): whether the
        // tile in Q buffer b has keys (tileKeys + b), then one StageInfo per stage. The Q buffers follow, then the ring.
        int qFull = 0, qEmpty = queryBuffers;
        int fullK = 2 * queryBuffers, fullV = fullK + stages, empty = fullK + 2 * stages;
        ArrayView<int> notes = SharedMemory.GetDynamic<int>();
        const int tileKeys = NotesByte / 4, stageInfo = tileKeys + 2;
        int qStart = HeaderBytes / 2;
        int ringBase = qStart + queryBuffers * qElements;
        // Ping-pong: consumer c issues its products after a phase of named barrier turn + c (see TakeTurn).
        const int turn = 1;
        bool alternate = pingPong != 0 && groups == 2;
        bool isSparse = sparse != 0;
        // The producer's tile's place (the consumers find a tile's place when they store it, see StoreTile).
        int bh = 0, tileStart = 0, rowBlock = 0;

        if (Group.IdxX == 0)
        {
            for (int b = 0; b < queryBuffers; b++)
            {
                Mbarrier.Init(bars, qFull + b, 1);
                Mbarrier.Init(bars, qEmpty + b, 4 * groups);
            }
            for (int st = 0; st < stages; st++)
            {
                Mbarrier.Init(bars, fullK + st, 1);
                Mbarrier.Init(bars, fullV + st, 1);
                Mbarrier.Init(bars, empty + st, 4 * groups);
            }
            BulkTensor.FenceProxyAsync();
        }
        Group.Barrier();

        // A group takes tiles Grid.IdxX, + Grid.DimX, ... (one when the grid covers them all). The K/V ring runs on
        // across tiles (stage j of the group's whole walk), so the producer streams the next tile's first stages, and
        // its Q once every S of this tile is done, while the consumers finish P·V and store.
        if (Warpgroup.Index == 0)
        {
            if (groups > 1) Warpgroup.DecreaseRegisters(ProducerRegisters(groups));
            if (Warp.WarpIdx == 0)
            {
                bool leader = HopperWarp.ElectOne();
                if (leader)
                {
                    // The cursor over the tile's keys and the current stage's segments (see NextStage): the producer
                    // walks it and hands each stage's segment lengths to the consumers in its notes.
                    int count = 0, entry = 0, cursorPhase = 0, pos = 0, rangeEnd = 0;
                    long listBase = 0;
                    Span<int> starts = stackalloc int[3];
                    Span<int> lengths = stackalloc int[3];
                    // The ring position: stage st in its use of parity phase, counted rather than j % stages and
                    // j / stages (a division by the runtime stage count, about 50 instructions a stage).
                    int st = 0, phase = 0, qb = 0, qPhase = 0;
                    for (int tile = Grid.IdxX; tile < tiles; tile += Grid.DimX)
                    {
                        PlaceTile(tile, tilesPerHead, tileRows, isSparse, queryStart, queryBlocks, ref bh, ref tileStart, ref rowBlock);
                        StartCursor(isSparse, tileStart, rowBlock, visualTokens, validKeys, keyBlocks, keyBlockSize, counts, lists,
                            ref count, ref listBase, ref entry, ref cursorPhase, ref pos, ref rangeEnd);
                        // Every tile arrives as d / 64 panels of 64 columns (128-byte rows), panel p after p whole panels,
                        // each panel as boxes of 64 rows, in the next Q buffer of the ring; the tile that last used it
                        // must be done with it (its last S done), and so with its flag (read before that).
                        Mbarrier.Wait(bars, qEmpty + qb, qPhase ^ 1);
                        Atomic.Exchange(ref notes[tileKeys + qb], pos < rangeEnd ? 1 : 0);
                        Mbarrier.ArriveExpectTransaction(bars, qFull + qb, qElements * 2);
                        for (int p = 0; p < panels; p++)
                        {
                            for (int c = 0; c < groups; c++)
                                BulkTensor.Load3D(smem, qStart + qb * qElements + (p * tileRows + c * ConsumerRows) * 64, q, 64 * p,
                                    tileStart + c * ConsumerRows, bh, bars, qFull + qb);
                        }
                        while (pos < rangeEnd)
                        {
                            NextStage(lists, listBase, count, keyBlocks, keyBlockSize, visualTokens, validKeys,
                                ref entry, ref cursorPhase, ref pos, ref rangeEnd, starts, lengths, segs);
                            Mbarrier.Wait(bars, empty + st, phase ^ 1);
                            // The stage's lengths go with K (the consumers read them after its barrier, which orders them).
                            Atomic.Exchange(ref notes[stageInfo + st], StageInfo(lengths, segs, pos >= rangeEnd));
                            // K first, on its own barrier: the consumers' S = Q·Kᵀ need not wait for V.
                            int kBase = ringBase + st * stageElements;
                            Mbarrier.ArriveExpectTransaction(bars, fullK + st, kvElements * 2);
                            for (int p = 0; p < panels; p++)
                            {
                                for (int sg = 0; sg < segs; sg++)
                                    BulkTensor.Load3D(smem, kBase + p * keyTile * 64 + sg * SegmentRows * 64, k, 64 * p, starts[sg], bh, bars, fullK + st);
                            }
                            Mbarrier.ArriveExpectTransaction(bars, fullV + st, kvElements * 2);
                            for (int p = 0; p < panels; p++)
                            {
                                for (int sg = 0; sg < segs; sg++)
                                    BulkTensor.Load3D(smem, kBase + kvElements + p * keyTile * 64 + sg * SegmentRows * 64, v, 64 * p, starts[sg], bh, bars, fullV + st);
                            }
                            NextInRing(ref st, ref phase, stages);
                        }
                        NextInRing(ref qb, ref qPhase, queryBuffers);
                    }
                }
            }
        }
        else
        {
            if (groups > 1) Warpgroup.IncreaseRegisters(ConsumerRegisters(groups));
            int rowInTile = (Warpgroup.Index - 1) * ConsumerRows;
            int qRows = rowInTile * 64;
            int lane = Warp.LaneIdx;
            int column = 2 * (lane & 3);
            Span<float> sAcc = stackalloc float[keyTile / 2];
            // The previous stage's P as register-A fragments, read by its P·V while this stage's softmax runs.
            Span<uint> pFrag = stackalloc uint[keyTile / 4];
            Span<float> oAcc = stackalloc float[headDim / 2];
            for (int i = 0; i < headDim / 2; i++) oAcc[i] = 0f;
            int me = Warpgroup.Index - 1;
            // Consumer 0 takes the first turn: consumer 1 opens it (see TakeTurn).
            if (alternate && me == 1) NamedBarrier.Arrive(turn, 2 * 128);
            // This stage's place in the ring (st, parity phase), the previous one's, and the Q buffer's, counted as the
            // producer counts.
            int st = 0, phase = 0, previous = 0, previousPhase = 0, qb = 0, qPhase = 0;
            // A tile whose last P·V (stage previous) is still to be issued, its O in oAcc (-1: none), and its row sums.
            int pendingTile = -1;
            float pendingL0 = 0f, pendingL1 = 0f;
            for (int tile = Grid.IdxX; tile < tiles; tile += Grid.DimX)
            {
                // With one Q buffer the next tile's Q loads only once this tile's S are done: finish it meanwhile.
                if (pendingTile >= 0 && queryBuffers == 1)
                {
                    FinishTile<T>(smem, bars, output, rectification, compensation, sequenceLength, validKeys, visualTokens, queryEnd,
                        isSparse, rectify != 0, pendingTile, tilesPerHead, queryStart, queryBlocks, tileRows, rowInTile, lane, pendingL0,
                        pendingL1, pFrag, oAcc, ringBase + previous * stageElements + kvElements, fullV + previous, previousPhase,
                        empty + previous, turn, me, alternate, headDim, keyTile);
                    pendingTile = -1;
                }
                // This thread's two rows (g and g + 8 of its warp's 16): running maxima (log2 units) and partial sums. The
                // maxima start at -1e30, not -inf, so a fully masked tile gives alpha = exp2(0) and P = exp2(-inf) = 0, never NaN.
                float m0 = -1e30f, m1 = -1e30f, l0 = 0f, l1 = 0f, alpha0 = 1f, alpha1 = 1f;
                Mbarrier.Wait(bars, qFull + qb, qPhase);
                int qBase = qStart + qb * qElements + qRows;
                if (ReadNote(notes, tileKeys + qb, lane) != 0)
                {
                    // The first stage: S and its softmax. O is zero, or holds the previous tile, whose last P·V then
                    // goes to the tensor cores behind this S, under this softmax; the previous tile is stored after.
                    // A stage's note is read (after its K barrier) only once the products are issued: the turns' named
                    // barriers would wait for the load (they order the memory accesses before them), which then runs under S.
                    Mbarrier.Wait(bars, fullK + st, phase);
                    int stage;
                    if (pendingTile >= 0)
                    {
                        Mbarrier.Wait(bars, fullV + previous, previousPhase);
                        IssueScoresBehindPV<T>(smem, qBase, tileRows, ringBase + st * stageElements, sAcc,
                            ringBase + previous * stageElements + kvElements, pFrag, oAcc, headDim, keyTile, turn, me, alternate);
                        stage = ReadNote(notes, stageInfo + st, lane);
                        Warpgroup.WaitGroup(1);
                        Softmax(sAcc, stage, column, scaleLog2, ref m0, ref m1, ref l0, ref l1, ref alpha0, ref alpha1, segs);
                        Warpgroup.WaitGroup(0);
                        ReleaseForWarp(bars, empty + previous, lane);
                        StoreTile<T>(output, rectification, compensation, sequenceLength, validKeys, visualTokens, queryEnd, isSparse,
                            rectify != 0, pendingTile, tilesPerHead, queryStart, queryBlocks, tileRows, rowInTile, lane, pendingL0, pendingL1,
                            oAcc, headDim);
                        for (int i = 0; i < headDim / 2; i++) oAcc[i] = 0f;
                    }
                    else
                    {
                        TakeTurn(turn, me, alternate);
                        IssueScores<T>(smem, qBase, tileRows, ringBase + st * stageElements, sAcc, headDim, keyTile);
                        PassTurn(turn, me, alternate);
                        stage = ReadNote(notes, stageInfo + st, lane);
                        Warpgroup.WaitGroup(0);
                        Softmax(sAcc, stage, column, scaleLog2, ref m0, ref m1, ref l0, ref l1, ref alpha0, ref alpha1, segs);
                    }
                    PackP<T>(sAcc, pFrag, keyTile);
                    previous = st;
                    previousPhase = phase;
                    NextInRing(ref st, ref phase, stages);
                    // previous: the stage whose P·V is still to be issued. The loop body has no branch around a wgmma or
                    // a wait: ptxas then sees that only S is read while P·V runs, and keeps the products asynchronous.
                    bool more = !IsLastStage(stage);
                    while (more)
                    {
                        Mbarrier.Wait(bars, fullK + st, phase);
                        Mbarrier.Wait(bars, fullV + previous, previousPhase);
                        // The previous stage's P·V goes to the tensor cores behind this S; this stage's softmax runs under it.
                        IssueScoresBehindPV<T>(smem, qBase, tileRows, ringBase + st * stageElements, sAcc,
                            ringBase + previous * stageElements + kvElements, pFrag, oAcc, headDim, keyTile, turn, me, alternate);
                        stage = ReadNote(notes, stageInfo + st, lane);
                        Warpgroup.WaitGroup(1);
                        Softmax(sAcc, stage, column, scaleLog2, ref m0, ref m1, ref l0, ref l1, ref alpha0, ref alpha1, segs);
                        more = !IsLastStage(stage);
                        // The previous P·V is done: its stage goes back to the producer, and O may be rescaled.
                        Warpgroup.WaitGroup(0);
                        ReleaseForWarp(bars, empty + previous, lane);
                        // Once the rows' maxima settle, most stages leave them unchanged: a warp none of whose rows moved
                        // skips the rescale (its lanes branch alike), which sits between P·V and the next products.
                        if (alpha0 != 1f || alpha1 != 1f)
                        {
                            for (int i = 0; i < headDim / 8; i++)
                            {
                                oAcc[4 * i] *= alpha0;
                                oAcc[4 * i + 1] *= alpha0;
                                oAcc[4 * i + 2] *= alpha1;
                                oAcc[4 * i + 3] *= alpha1;
                            }
                        }
                        PackP<T>(sAcc, pFrag, keyTile);
                        previous = st;
                        previousPhase = phase;
                        NextInRing(ref st, ref phase, stages);
                    }
                    // Every S of the tile is done: the producer may load a later tile's Q into this buffer. The tile's
                    // last P·V waits for the next tile's first S (or for FinishTile).
                    ReleaseForWarp(bars, qEmpty + qb, lane);
                    pendingTile = tile;
                    pendingL0 = l0;
                    pendingL1 = l1;
                }
                else
                {
                    // Nothing to attend: finish the previous tile, then store this one's (zero) O.
                    ReleaseForWarp(bars, qEmpty + qb, lane);
                    if (pendingTile >= 0)
                    {
                        FinishTile<T>(smem, bars, output, rectification, compensation, sequenceLength, validKeys, visualTokens, queryEnd,
                            isSparse, rectify != 0, pendingTile, tilesPerHead, queryStart, queryBlocks, tileRows, rowInTile, lane, pendingL0,
                            pendingL1, pFrag, oAcc, ringBase + previous * stageElements + kvElements, fullV + previous, previousPhase,
                            empty + previous, turn, me, alternate, headDim, keyTile);
                        pendingTile = -1;
                    }
                    StoreTile<T>(output, rectification, compensation, sequenceLength, validKeys, visualTokens, queryEnd, isSparse,
                        rectify != 0, tile, tilesPerHead, queryStart, queryBlocks, tileRows, rowInTile, lane, l0, l1, oAcc, headDim);
                }
                NextInRing(ref qb, ref qPhase, queryBuffers);
            }
            if (pendingTile >= 0)
            {
                FinishTile<T>(smem, bars, output, rectification, compensation, sequenceLength, validKeys, visualTokens, queryEnd,
                    isSparse, rectify != 0, pendingTile, tilesPerHead, queryStart, queryBlocks, tileRows, rowInTile, lane, pendingL0,
                    pendingL1, pFrag, oAcc, ringBase + previous * stageElements + kvElements, fullV + previous, previousPhase,
                    empty + previous, turn, me, alternate, headDim, keyTile);
            }
        }
    }
}
