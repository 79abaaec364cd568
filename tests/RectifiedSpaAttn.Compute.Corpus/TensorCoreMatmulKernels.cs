using RectifiedSpaAttn.Compute;
using RectifiedSpaAttn.Numerics;

namespace RectifiedSpaAttn.Kernels.Corpus;

/// <summary>
/// Corpus: C[M x N] (f32) = A[M x K] * B[K x N] with A and B row-major 16-bit floats, on tensor cores
/// (<c>mma.sync.m16n8k16</c>). It is the compiler's performance benchmark (the issue asks for at least 395 TFLOP/s at
/// 8192^3 on an H100) as well as its tensor-core correctness test, so it is written the way a fast hand-tuned CUDA
/// kernel is:
/// <list type="bullet">
/// <item>a 128 x <c>tileN</c> x <c>tileK</c> tile per group of 2 x (<c>tileN</c> / 64) warps, each warp owning 64 x 64 of C in
/// 128 f32 registers: 32 mma per 8 ldmatrix.x4 per 16-deep k step. <c>tileN</c> = 256 (8 warps) reuses each B tile
/// over more rows; 128 (4 warps) halves the group so two groups share a multiprocessor and hide each other's
/// barriers; <c>tileK</c> = 64 halves the barriers and cp.async waits per mma at twice the shared memory per stage;</item>
/// <item>a <c>stages</c>-deep cp.async ring in dynamic shared memory: tile k+stages-1 is in flight while tile k is
/// multiplied, one barrier per k tile;</item>
/// <item>XOR-swizzled shared layouts so every ldmatrix phase (8 rows of 16 bytes) hits 8 different bank groups
/// without padding (padding would cost shared memory, hence stages);</item>
/// <item>every address that does not depend on k computed once before the loop: the loop only advances two global
/// indices and two ring offsets, which keeps registers for the accumulators and fragments;</item>
/// <item>a banded launch order, so the groups of one wave share their A and B slabs in L2;</item>
/// <item>an epilogue of 16-byte stores, lanes pairing up their accumulators through one shuffle exchange.</item>
/// </list>
/// Requirements (checked by the host before launching): M a multiple of 128, N of <c>tileN</c>, K of <c>tileK</c>;
/// group <see cref="GroupSize"/>(tileN); grid (N / tileN, M / 128); <c>bandRows</c> at least 1 (<see cref="BandRows"/>
/// is the measured best); dynamic shared memory
/// <see cref="SharedBytes"/>(stages, tileN, tileK, sizeof(T)).
/// </summary>
internal static partial class TensorCoreMatmulKernels
{
    /// <summary>Rows of C per group.</summary>
    public const int TileM = 128;
    /// <summary>
    /// Tile rows per band of the launch order: on the H100 a wave of 132 groups then reuses 16 slabs of A and 8 of B
    /// through L2 (3% faster than row by row at 8192^3).
    /// </summary>
    public const int BandRows = 16;
    /// <summary>Threads per group for a tile <paramref name="tileN"/> wide: two warp rows of tileN / 64 warps.</summary>
    public static int GroupSize(int tileN) => 2 * (tileN / 64) * 32;

    /// <summary>Dynamic shared memory the kernel needs for <paramref name="stages"/> pipeline stages.</summary>
    public static int SharedBytes(int stages, int tileN, int tileK, int elementBytes) => stages * (TileM * tileK + tileK * tileN) * elementBytes;

    /// <summary>The matmul; see the class summary for the launch shape.</summary>
    [Kernel]
    [Specialize("T", typeof(Half), typeof(BFloat16))]
    [Specialize("stages", 3, 4)]
    [Specialize("tileN", 128, 256)]
    [Specialize("tileK", 32, 64)]
    [Specialize("fragments", 1, 2)]
    public static void Matmul<T>(ArrayView<T> a, ArrayView<T> b, ArrayView<float> c, int m, int n, int k, int bandRows,
        [Constant] int stages, [Constant] int tileN, [Constant] int tileK, [Constant] int fragments)
        where T : unmanaged
    {
        ArrayView<T> shared = SharedMemory.GetDynamic<T>();
        // A stage is A's 128 x tileK then B's tileK x tileN, so one offset locates both.
        int aElements = TileM * tileK;
        int stageElements = aElements + tileK * tileN;
        int ringElements = stages * stageElements;
        int groupSize = 2 * (tileN / 64) * 32;

        int tid = Group.IdxX;
        int lane = Warp.LaneIdx;
        int warp = Warp.WarpIdx;
        int warpRow = (warp / (tileN / 64)) * 64;
        int warpCol = (warp % (tileN / 64)) * 64;
        // Groups start roughly in launch order, and those in flight at once share their k slabs through L2 only if
        // their tiles are close together. Launch order i walks bands of bandRows tile rows column by column, instead
        // of whole tile rows, which would stream all of B from memory in every wave: a wave of 132 groups then touches
        // about bandRows row tiles of A and 132 / bandRows column tiles of B (16: 16 and 8).
        int linear = Grid.IdxY * Grid.DimX + Grid.IdxX;
        int bandGroups = bandRows * Grid.DimX;
        int band = linear / bandGroups;
        int bandHeight = Math.Min(bandRows, Grid.DimY - band * bandRows);
        int inBand = linear - band * bandGroups;
        long blockRow = (long)(band * bandRows + inBand % bandHeight) * TileM;
        long blockCol = (long)(inBand / bandHeight) * tileN;
        int kTiles = k / tileK;

        // cp.async sources and destinations of this thread's first A and B chunk; its other chunks are a constant
        // number of rows further (groupSize / (tileK / 8) rows of A, 8 k-rows of B, multiples of 8), which keeps the
        // swizzle's row bits.
        int aCopyRow = tid / (tileK / 8), aCopyChunk = tid % (tileK / 8);
        int aCopy = SwizzleA(aCopyRow, aCopyChunk, tileK);
        long aSource = (blockRow + aCopyRow) * k + aCopyChunk * 8;
        int bCopyRow = tid / (tileN / 8), bCopyChunk = tid % (tileN / 8);
        int bCopy = aElements + SwizzleB(bCopyRow, bCopyChunk, tileN);
        long bSource = (long)bCopyRow * n + blockCol + bCopyChunk * 8;
        // Global distance between a thread's consecutive A chunks (groupSize / (tileK / 8) rows) and B chunks (8 k-rows):
        // kept in registers, so a copy's source is one 64-bit add from the previous one. Recomputing them in the loop
        // (a 64-bit multiply per copy) put those chains among the kernel's top stalls under ncu.
        long aRowStep = (long)(groupSize / (tileK / 8)) * k;
        long bRowStep = 8L * n;

        // The lane's ldmatrix addresses in stage 0 for k step 0, from which all 8 of every k step follow (see
        // LoadFragments). A: lane l names row l % 16 of a 16 x 16 tile and k half l / 16; the row's swizzle bits are
        // the lane's, since warpRow and i * 16 are multiples of 16. B: lane l names k-row (l % 8) + 8 * ((l / 8) % 2)
        // and n half l / 16.
        int aRow = warpRow + (lane & 15);
        int aFrag = SwizzleA(aRow, lane >> 4, tileK);
        int bRow = (lane & 7) + ((lane >> 3) & 1) * 8;
        int bFrag = aElements + SwizzleB(bRow, warpCol / 8 + (lane >> 4), tileN);
        // Where the lane's first accumulator goes in C, computed now so the block and warp coordinates need not live
        // through the loop.
        long cIndex = (blockRow + warpRow + (lane >> 2)) * n + blockCol + warpCol + (lane & 3) * 2;

        Span<float> acc = stackalloc float[128];
        int bStep = 16 * tileN;
        // Groups per multiprocessor the registers should allow: what 255 registers allow, one 8-warp group or two
        // 4-warp ones. (Three 4-warp groups, where shared memory would let them in, need 168 registers: the epilogue's
        // lane exchange spilled there, and that variant was the slowest anyway.)
        KernelHint.LaunchBounds(groupSize, tileN == 256 ? 1 : 2);

        // Prologue: stages-1 tiles in flight. Every thread commits a group each time, even an empty one, so the
        // wait counts below are the same for every thread and every k.
        for (int s = 0; s < stages - 1; s++)
        {
            KernelHint.Unroll();
            if (s < kTiles)
                LoadTile(a, b, shared, s * stageElements, aCopy, bCopy, aSource + s * tileK, bSource + s * (tileK / 8) * bRowStep,
                    aRowStep, bRowStep, groupSize, tileN, tileK);
            AsyncCopy.CommitGroup();
        }

        // Ring offsets of the stage read (tile kt) and written (tile kt + stages - 1), and the global index of the
        // next tile to fetch: advanced, not recomputed from kt (no 64-bit multiply or remainder in the loop).
        int readStage = 0;
        int writeStage = (stages - 1) * stageElements;
        long aNext = aSource + (stages - 1) * tileK;
        long bNext = bSource + (stages - 1) * (tileK / 8) * bRowStep;
        // Tiles left to multiply, counted down so kTiles need not stay live.
        int kLeft = kTiles;
        if (fragments == 2)
        {
            // Fragments of two k steps (A in 0..15, B in 16..31): one set is multiplied while the other loads. Per
            // pair of k steps 2p, 2p+1 of tile kt: load step 2p+1 and multiply step 2p; then load step 2p+2, or on
            // the last pair wait for tile kt + 1, barrier and load its step 0, and multiply step 2p+1. The prefetch of
            // tile kt + stages - 1, issued with the first pair, goes to the stage tile kt - 1 used (every warp read it
            // before the previous barrier). So mma are queued while the warp waits at the barrier, and the last step's
            // cover the ldmatrix latency of the next tile (past the last tile that load reads a stale stage, unused).
            Span<uint> step0 = stackalloc uint[32];
            Span<uint> step1 = stackalloc uint[32];
            AsyncCopy.WaitGroup(stages - 2);
            Group.Barrier();
            LoadFragments(shared, aFrag, bFrag, tileK, step0);
            // A while loop, not a for: see the note on the k loop of TiledMatmulKernels.Matmul.
            while (kLeft > 0)
            {
                for (int p = 0; p < tileK / 32; p++)
                {
                    KernelHint.Unroll();
                    LoadFragments(shared, (readStage + aFrag) ^ ((2 * p + 1) << 4), readStage + bFrag + (2 * p + 1) * bStep, tileK, step1);
                    if (p == 0)
                    {
                        if (kLeft > stages - 1)
                            LoadTile(a, b, shared, writeStage, aCopy, bCopy, aNext, bNext, aRowStep, bRowStep, groupSize, tileN, tileK);
                        AsyncCopy.CommitGroup();
                        aNext += tileK;
                        bNext += (tileK / 8) * bRowStep;
                        writeStage = writeStage + stageElements == ringElements ? 0 : writeStage + stageElements;
                    }
                    Multiply<T>(step0, acc);
                    if (p == tileK / 32 - 1)
                    {
                        AsyncCopy.WaitGroup(stages - 2);
                        Group.Barrier();
                        readStage = readStage + stageElements == ringElements ? 0 : readStage + stageElements;
                        LoadFragments(shared, readStage + aFrag, readStage + bFrag, tileK, step0);
                    }
                    else
                    {
                        LoadFragments(shared, (readStage + aFrag) ^ ((2 * p + 2) << 4), readStage + bFrag + (2 * p + 2) * bStep, tileK, step0);
                    }
                    Multiply<T>(step1, acc);
                }
                kLeft--;
            }
        }
        else
        {
            // One fragment set, loaded as it is used: fewer live registers, but nothing to multiply while a warp
            // waits at the barrier.
            while (kLeft > 0)
            {
                // Tile kt has landed for this thread; the barrier makes it everyone's, and also guarantees every warp
                // is done reading the stage the next prefetch overwrites (it was consumed in iteration kt-1).
                AsyncCopy.WaitGroup(stages - 2);
                Group.Barrier();
                if (kLeft > stages - 1)
                    LoadTile(a, b, shared, writeStage, aCopy, bCopy, aNext, bNext, aRowStep, bRowStep, groupSize, tileN, tileK);
                AsyncCopy.CommitGroup();
                aNext += tileK;
                bNext += (tileK / 8) * bRowStep;
                writeStage = writeStage + stageElements == ringElements ? 0 : writeStage + stageElements;
                for (int ks = 0; ks < tileK / 16; ks++)
                {
                    KernelHint.Unroll();
                    MultiplyLean<T>(shared, (readStage + aFrag) ^ (ks << 4), readStage + bFrag + ks * bStep, tileK, acc);
                }
                readStage = readStage + stageElements == ringElements ? 0 : readStage + stageElements;
                kLeft--;
            }
        }
        AsyncCopy.WaitGroup(0);

        // Accumulator (i, j) holds C rows g and g+8, columns 2t and 2t+1 of the 16 x 8 tile (g = lane / 4, t = lane % 4).
        // Lanes t and t ^ 1 trade halves so each holds four adjacent columns of one row (even t: row g, columns
        // 2t..2t+3; odd t: row g+8, columns 2t-2..2t+1) and writes them with one 16-byte store, not four 4-byte ones:
        // with one group per multiprocessor nothing hides the epilogue, and this made the whole matmul 4% faster.
        long cRow8 = 8L * n;
        bool even = (lane & 1) == 0;
        for (int i = 0; i < 4; i++)
        {
            for (int j = 0; j < 8; j++)
            {
                long at = cIndex + i * 16 * (long)n + j * 8;
                int r = (i * 8 + j) * 4;
                float v0 = acc[r], v1 = acc[r + 1], v2 = acc[r + 2], v3 = acc[r + 3];
                float got0 = Warp.ShuffleXor(even ? v2 : v0, 1);
                float got1 = Warp.ShuffleXor(even ? v3 : v1, 1);
                UInt4 quad = even
                    ? new UInt4(BitConverter.SingleToUInt32Bits(v0), BitConverter.SingleToUInt32Bits(v1),
                        BitConverter.SingleToUInt32Bits(got0), BitConverter.SingleToUInt32Bits(got1))
                    : new UInt4(BitConverter.SingleToUInt32Bits(got0), BitConverter.SingleToUInt32Bits(got1),
                        BitConverter.SingleToUInt32Bits(v2), BitConverter.SingleToUInt32Bits(v3));
                VectorMemory.Store16(c, even ? at : at + cRow8 - 2, quad);
            }
        }
    }

    /// <summary>
    /// Issues this thread's cp.async copies of one k tile into the stage at <paramref name="stage"/>: A's 128 x tileK
    /// (16 * tileK chunks of 16 bytes, 16 * tileK / groupSize per thread, groupSize / (tileK / 8) rows apart) and B's
    /// tileK x tileN (tileK * tileN / 8 chunks, tileK / 8 per thread, 8 k-rows apart).
    /// </summary>
    private static void LoadTile<T>(ArrayView<T> a, ArrayView<T> b, ArrayView<T> shared, int stage, int aCopy, int bCopy,
        long aSource, long bSource, long aRowStep, long bRowStep, int groupSize, int tileN, int tileK) where T : unmanaged
    {
        int aRows = groupSize / (tileK / 8);
        long source = aSource;
        for (int i = 0; i < TileM * tileK / 8 / groupSize; i++)
        {
            KernelHint.Unroll();
            AsyncCopy.Copy16(shared, stage + aCopy + i * aRows * tileK, a, source);
            source += aRowStep;
        }
        source = bSource;
        for (int i = 0; i < tileK / 8; i++)
        {
            KernelHint.Unroll();
            AsyncCopy.Copy16(shared, stage + bCopy + i * 8 * tileN, b, source);
            source += bRowStep;
        }
    }

    /// <summary>
    /// A stage holds A as 128 rows of tileK elements. At tileK 32 a row is 64 bytes (4 chunks of 16) and rows 2j and
    /// 2j+1 share a 128-byte line: XOR-ing the chunk with (row / 2) % 4 spreads the 8 rows one ldmatrix phase reads over
    /// all 8 chunks of a line. At tileK 64 a row is a whole line: XOR-ing with row % 8 does it.
    /// Returns the element offset of chunk <paramref name="chunk"/> of row <paramref name="row"/>.
    /// </summary>
    private static int SwizzleA(int row, int chunk, int tileK) =>
        row * tileK + ((chunk ^ (tileK == 32 ? (row >> 1) & 3 : row & 7)) << 3);

    /// <summary>
    /// B is tileK k-rows of tileN elements (tileN / 8 chunks). The 8 k-rows of one ldmatrix.trans phase are a multiple of
    /// 256 bytes apart, the same banks; XOR-ing the chunk with row % 8 moves each to a different chunk of its 128-byte group.
    /// </summary>
    private static int SwizzleB(int row, int chunk, int tileN) => row * tileN + ((chunk ^ (row & 7)) << 3);

    /// <summary>
    /// Loads one k step's fragments into <paramref name="frag"/>: A's 64 x 16 (four ldmatrix.x4 at
    /// <paramref name="aFrag"/> plus 16 rows each) into 0..15 and B's 16 x 64 (four ldmatrix.x4.trans, one per n16
    /// pair) into 16..31. The offsets are the lane's addresses in shared memory, in elements.
    /// </summary>
    /// <remarks>
    /// One address per operand is enough. The lane's A address for k step ks and its B addresses for the other n16
    /// pairs differ from these only in swizzled chunk bits: chunk c at element 8c within a 64-element-aligned run,
    /// and XOR-ing c with 2 * ks (A's chunk being 2 * ks + lane / 16 before the swizzle) or with 2 * jp (B's pair jp,
    /// its chunk being warpCol / 8 + 2 * jp + lane / 16) is XOR-ing the element offset with 16 * ks or 16 * jp.
    /// Everything else the offsets add (stage, rows, B's k steps) is a multiple of 64 elements, so the XOR can be
    /// applied to the sum.
    /// </remarks>
    private static void LoadFragments<T>(ArrayView<T> shared, int aFrag, int bFrag, int tileK, Span<uint> frag) where T : unmanaged
    {
        // A: matrices 0..3 of x4 are (rows 0-7, k 0-7), (rows 8-15, k 0-7), (rows 0-7, k 8-15), (rows 8-15, k 8-15)
        // of the 16 x 16 tile: exactly a0a1, a2a3, a4a5, a6a7 of the mma A fragment.
        for (int i = 0; i < 4; i++)
        {
            UInt4 fa = TensorCore.LoadMatrixX4(shared, aFrag + i * 16 * tileK);
            frag[i * 4] = fa.X;
            frag[i * 4 + 1] = fa.Y;
            frag[i * 4 + 2] = fa.Z;
            frag[i * 4 + 3] = fa.W;
        }
        // B: x4.trans of (k 0-7, n 0-7), (k 8-15, n 0-7), (k 0-7, n 8-15), (k 8-15, n 8-15) gives b0b1, b2b3 of two
        // adjacent n8 tiles.
        for (int jp = 0; jp < 4; jp++)
        {
            UInt4 fb = TensorCore.LoadMatrixX4Transposed(shared, bFrag ^ (jp << 4));
            frag[16 + jp * 4] = fb.X;
            frag[16 + jp * 4 + 1] = fb.Y;
            frag[16 + jp * 4 + 2] = fb.Z;
            frag[16 + jp * 4 + 3] = fb.W;
        }
    }

    /// <summary>
    /// One k step with a single fragment set: A's four ldmatrix.x4 first, then per n16 pair one ldmatrix.x4.trans of B
    /// and its 8 mma, so only 4 B registers are live at a time. Addresses as for <see cref="LoadFragments"/>.
    /// </summary>
    private static void MultiplyLean<T>(ArrayView<T> shared, int aFrag, int bFrag, int tileK, Span<float> acc) where T : unmanaged
    {
        Span<uint> af = stackalloc uint[16];
        for (int i = 0; i < 4; i++)
        {
            UInt4 fa = TensorCore.LoadMatrixX4(shared, aFrag + i * 16 * tileK);
            af[i * 4] = fa.X;
            af[i * 4 + 1] = fa.Y;
            af[i * 4 + 2] = fa.Z;
            af[i * 4 + 3] = fa.W;
        }
        for (int jp = 0; jp < 4; jp++)
        {
            UInt4 fb = TensorCore.LoadMatrixX4Transposed(shared, bFrag ^ (jp << 4));
            for (int i = 0; i < 4; i++)
            {
                for (int h = 0; h < 2; h++)
                {
                    int r = (i * 8 + jp * 2 + h) * 4;
                    var fragA = new MmaFragmentA(af[i * 4], af[i * 4 + 1], af[i * 4 + 2], af[i * 4 + 3]);
                    var fragB = h == 0 ? new MmaFragmentB(fb.X, fb.Y) : new MmaFragmentB(fb.Z, fb.W);
                    var sum = new MmaAccumulator(acc[r], acc[r + 1], acc[r + 2], acc[r + 3]);
                    MmaAccumulator d = typeof(T) == typeof(Half)
                        ? TensorCore.MmaHalf(fragA, fragB, sum)
                        : TensorCore.MmaBFloat16(fragA, fragB, sum);
                    acc[r] = d.C0;
                    acc[r + 1] = d.C1;
                    acc[r + 2] = d.C2;
                    acc[r + 3] = d.C3;
                }
            }
        }
    }

    /// <summary>Accumulates one k step: the warp's 64 x 64 of C += A (64 x 16) * B (16 x 64), 4 x 8 mma.</summary>
    private static void Multiply<T>(Span<uint> frag, Span<float> acc) where T : unmanaged
    {
        for (int i = 0; i < 4; i++)
        {
            for (int j = 0; j < 8; j++)
            {
                int r = (i * 8 + j) * 4;
                var fragA = new MmaFragmentA(frag[i * 4], frag[i * 4 + 1], frag[i * 4 + 2], frag[i * 4 + 3]);
                var fragB = new MmaFragmentB(frag[16 + j * 2], frag[16 + j * 2 + 1]);
                var sum = new MmaAccumulator(acc[r], acc[r + 1], acc[r + 2], acc[r + 3]);
                MmaAccumulator d = typeof(T) == typeof(Half)
                    ? TensorCore.MmaHalf(fragA, fragB, sum)
                    : TensorCore.MmaBFloat16(fragA, fragB, sum);
                acc[r] = d.C0;
                acc[r + 1] = d.C1;
                acc[r + 2] = d.C2;
                acc[r + 3] = d.C3;
            }
        }
    }
}
