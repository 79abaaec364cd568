using RectifiedSpaAttn.Compute;
using RectifiedSpaAttn.Numerics;

namespace RectifiedSpaAttn.Kernels.Corpus;

/// <summary>
/// Corpus: C[M x N] (f32) = A[M x K] * B[K x N] with A and B row-major 16-bit floats, on tensor cores
/// (<c>mma.sync.m16n8k16</c>). It is the compiler's performance benchmark (the issue asks for at least 395 TFLOP/s at
/// 8192^3 on an H100) as well as its tensor-core correctness test, so it is written the way a fast hand-tuned CUDA
/// kernel is:
/// <list type="bullet">
/// <item>a 128 x <c>tileN</c> x 32 tile per group of 2 x (<c>tileN</c> / 64) warps, each warp owning 64 x 64 of C in
/// 128 f32 registers: 32 mma per 8 ldmatrix.x4 per 16-deep k step. <c>tileN</c> = 256 (8 warps) reuses each B tile
/// over more rows; 128 (4 warps) halves the group so two or three groups share a multiprocessor and hide each other's
/// barriers;</item>
/// <item>a <c>stages</c>-deep cp.async ring in dynamic shared memory: tile k+stages-1 is in flight while tile k is
/// multiplied, one barrier per k tile;</item>
/// <item>XOR-swizzled shared layouts so every ldmatrix phase (8 rows of 16 bytes) hits 8 different bank groups
/// without padding (padding would cost shared memory, hence stages);</item>
/// <item>every address that does not depend on k computed once before the loop: the loop only advances two global
/// indices and two ring offsets, which keeps registers for the accumulators and fragments.</item>
/// </list>
/// Requirements (checked by the host before launching): M a multiple of 128, N of <c>tileN</c>, K of 32; group
/// <see cref="GroupSize"/>(tileN); grid (N / tileN, M / 128); dynamic shared memory
/// <see cref="SharedBytes"/>(stages, tileN, sizeof(T)).
/// </summary>
internal static partial class TensorCoreMatmulKernels
{
    /// <summary>Rows of C per group.</summary>
    public const int TileM = 128;
    /// <summary>Depth of one k tile.</summary>
    public const int TileK = 32;

    /// <summary>Threads per group for a tile <paramref name="tileN"/> wide: two warp rows of tileN / 64 warps.</summary>
    public static int GroupSize(int tileN) => 2 * (tileN / 64) * 32;

    /// <summary>Dynamic shared memory the kernel needs for <paramref name="stages"/> pipeline stages.</summary>
    public static int SharedBytes(int stages, int tileN, int elementBytes) => stages * (TileM * TileK + TileK * tileN) * elementBytes;

    /// <summary>The matmul; see the class summary for the launch shape.</summary>
    [Kernel]
    [Specialize("T", typeof(Half), typeof(BFloat16))]
    [Specialize("stages", 3, 4)]
    [Specialize("tileN", 128, 256)]
    public static void Matmul<T>(ArrayView<T> a, ArrayView<T> b, ArrayView<float> c, int m, int n, int k,
        [Constant] int stages, [Constant] int tileN)
        where T : unmanaged
    {
        ArrayView<T> shared = SharedMemory.GetDynamic<T>();
        // A stage is A's 128 x 32 then B's 32 x tileN, so one offset locates both.
        int aElements = TileM * TileK;
        int stageElements = aElements + TileK * tileN;
        int ringElements = stages * stageElements;
        int groupSize = 2 * (tileN / 64) * 32;

        int tid = Group.IdxX;
        int lane = Warp.LaneIdx;
        int warp = Warp.WarpIdx;
        int warpRow = (warp / (tileN / 64)) * 64;
        int warpCol = (warp % (tileN / 64)) * 64;
        long blockRow = (long)Grid.IdxY * TileM;
        long blockCol = (long)Grid.IdxX * tileN;
        int kTiles = k / TileK;

        // cp.async sources and destinations of this thread's first A and B chunk; its other chunks are a constant
        // number of rows further (groupSize / 4 rows of A, 8 k-rows of B), which keeps the swizzle's row bits.
        int aCopyRow = tid >> 2, aCopyChunk = tid & 3;
        int aCopy = SwizzleA(aCopyRow, aCopyChunk);
        long aSource = (blockRow + aCopyRow) * k + aCopyChunk * 8;
        long aRowStep = (long)(groupSize / 4) * k;
        int bCopyRow = tid / (tileN / 8), bCopyChunk = tid % (tileN / 8);
        int bCopy = aElements + SwizzleB(bCopyRow, bCopyChunk, tileN);
        long bSource = (long)bCopyRow * n + blockCol + bCopyChunk * 8;
        long bRowStep = 8L * n;
        long bTileStep = (long)TileK * n;

        // ldmatrix addresses within a stage. A: lane l names row l % 16 of a 16 x 16 tile and k half l / 16; the row's
        // swizzle bits ((row / 2) % 4) are the lane's, since warpRow and i * 16 are multiples of 16, so the two k steps
        // differ only in the chunk's bit 1. B: lane l names k-row (l % 8) + 8 * ((l / 8) % 2) and n half l / 16; the
        // k step adds 16 rows (swizzle unchanged), n8 pair jp changes the chunk, one offset per jp.
        int aRow = warpRow + (lane & 15);
        int aHalf = (lane >> 4) ^ ((aRow >> 1) & 3);
        int aFrag0 = aRow * TileK + (aHalf << 3);
        int aFrag1 = aRow * TileK + ((aHalf ^ 2) << 3);
        int bRow = (lane & 7) + ((lane >> 3) & 1) * 8;
        int bChunk = warpCol / 8 + (lane >> 4);
        int bFrag0 = aElements + bRow * tileN + ((bChunk ^ (lane & 7)) << 3);
        int bFrag1 = aElements + bRow * tileN + (((bChunk + 2) ^ (lane & 7)) << 3);
        int bFrag2 = aElements + bRow * tileN + (((bChunk + 4) ^ (lane & 7)) << 3);
        int bFrag3 = aElements + bRow * tileN + (((bChunk + 6) ^ (lane & 7)) << 3);

        Span<float> acc = stackalloc float[128];

        // Prologue: stages-1 tiles in flight. Every thread commits a group each time, even an empty one, so the
        // wait counts below are the same for every thread and every k.
        for (int s = 0; s < stages - 1; s++)
        {
            KernelHint.Unroll();
            if (s < kTiles)
                LoadTile(a, b, shared, s * stageElements, aCopy, bCopy, aSource + s * TileK, bSource + s * bTileStep,
                    aRowStep, bRowStep, groupSize, tileN);
            AsyncCopy.CommitGroup();
        }

        // Ring offsets of the stage read (tile kt) and written (tile kt + stages - 1), and the global index of the
        // next tile to fetch: advanced, not recomputed from kt (no 64-bit multiply or remainder in the loop).
        int readStage = 0;
        int writeStage = (stages - 1) * stageElements;
        long aNext = aSource + (stages - 1) * TileK;
        long bNext = bSource + (stages - 1) * bTileStep;
        // A while loop, not a for: see the note on the k loop of TiledMatmulKernels.Matmul.
        int kt = 0;
        while (kt < kTiles)
        {
            // Tile kt has landed for this thread; the barrier makes it everyone's, and also guarantees every warp is
            // done reading the stage the next prefetch overwrites (it was consumed in iteration kt-1).
            AsyncCopy.WaitGroup(stages - 2);
            Group.Barrier();
            if (kt + stages - 1 < kTiles)
                LoadTile(a, b, shared, writeStage, aCopy, bCopy, aNext, bNext, aRowStep, bRowStep, groupSize, tileN);
            AsyncCopy.CommitGroup();
            aNext += TileK;
            bNext += bTileStep;
            writeStage = writeStage + stageElements == ringElements ? 0 : writeStage + stageElements;

            MultiplyStage<T>(shared, readStage + aFrag0, readStage + aFrag1,
                readStage + bFrag0, readStage + bFrag1, readStage + bFrag2, readStage + bFrag3, tileN, acc);
            readStage = readStage + stageElements == ringElements ? 0 : readStage + stageElements;
            kt++;
        }
        AsyncCopy.WaitGroup(0);

        // Accumulator (i, j) holds C rows g and g+8, columns 2t and 2t+1 of the 16 x 8 tile (g = lane / 4, t = lane % 4).
        long cIndex = (blockRow + warpRow + (lane >> 2)) * n + blockCol + warpCol + (lane & 3) * 2;
        long cRow8 = 8L * n;
        for (int i = 0; i < 4; i++)
        {
            for (int j = 0; j < 8; j++)
            {
                long at = cIndex + i * 16 * (long)n + j * 8;
                int r = (i * 8 + j) * 4;
                c[at] = acc[r];
                c[at + 1] = acc[r + 1];
                c[at + cRow8] = acc[r + 2];
                c[at + cRow8 + 1] = acc[r + 3];
            }
        }
    }

    /// <summary>
    /// Issues this thread's cp.async copies of one k tile into the stage at <paramref name="stage"/>: A's 128 x 32
    /// (512 chunks of 16 bytes, 512 / groupSize per thread, groupSize / 4 rows apart) and B's 32 x tileN (4 * tileN
    /// chunks, 4 per thread, 8 k-rows apart).
    /// </summary>
    private static void LoadTile<T>(ArrayView<T> a, ArrayView<T> b, ArrayView<T> shared, int stage, int aCopy, int bCopy,
        long aSource, long bSource, long aRowStep, long bRowStep, int groupSize, int tileN) where T : unmanaged
    {
        for (int i = 0; i < 512 / groupSize; i++)
        {
            KernelHint.Unroll();
            AsyncCopy.Copy16(shared, stage + aCopy + i * (groupSize / 4) * TileK, a, aSource + i * aRowStep);
        }
        for (int i = 0; i < 4; i++)
        {
            KernelHint.Unroll();
            AsyncCopy.Copy16(shared, stage + bCopy + i * 8 * tileN, b, bSource + i * bRowStep);
        }
    }

    /// <summary>
    /// A stage holds A as 128 rows of 32 elements (64 bytes: 4 chunks of 16). Rows 2j and 2j+1 share a 128-byte line;
    /// XOR-ing the chunk with (row / 2) % 4 spreads the 8 rows one ldmatrix phase reads over all 8 chunks of a line.
    /// Returns the element offset of chunk <paramref name="chunk"/> of row <paramref name="row"/>.
    /// </summary>
    private static int SwizzleA(int row, int chunk) => row * TileK + ((chunk ^ ((row >> 1) & 3)) << 3);

    /// <summary>
    /// B is 32 k-rows of tileN elements (tileN / 8 chunks). The 8 k-rows of one ldmatrix.trans phase are a multiple of
    /// 256 bytes apart, the same banks; XOR-ing the chunk with row % 8 moves each to a different chunk of its 128-byte group.
    /// </summary>
    private static int SwizzleB(int row, int chunk, int tileN) => row * tileN + ((chunk ^ (row & 7)) << 3);

    /// <summary>
    /// Multiplies the warp's 64 x 64 of C by one 32-deep stage: two k16 steps of 4 x 8 mma each. The offsets are the
    /// lane's ldmatrix addresses in the stage: A for k step 0 and 1, B for the four n16 pairs at k step 0.
    /// </summary>
    private static void MultiplyStage<T>(ArrayView<T> shared, int aFrag0, int aFrag1, int bFrag0, int bFrag1, int bFrag2,
        int bFrag3, int tileN, Span<float> acc)
        where T : unmanaged
    {
        Span<uint> af = stackalloc uint[16];
        Span<uint> bf = stackalloc uint[16];
        for (int ks = 0; ks < 2; ks++)
        {
            // A: matrices 0..3 of x4 are (rows 0-7, k 0-7), (rows 8-15, k 0-7), (rows 0-7, k 8-15), (rows 8-15, k 8-15)
            // of the 16 x 16 tile: exactly a0a1, a2a3, a4a5, a6a7 of the mma A fragment.
            for (int i = 0; i < 4; i++)
            {
                UInt4 fa = TensorCore.LoadMatrixX4(shared, (ks == 0 ? aFrag0 : aFrag1) + i * 16 * TileK);
                af[i * 4] = fa.X;
                af[i * 4 + 1] = fa.Y;
                af[i * 4 + 2] = fa.Z;
                af[i * 4 + 3] = fa.W;
            }
            // B: x4.trans of (k 0-7, n 0-7), (k 8-15, n 0-7), (k 0-7, n 8-15), (k 8-15, n 8-15) gives b0b1, b2b3 of two
            // adjacent n8 tiles.
            for (int jp = 0; jp < 4; jp++)
            {
                int bFrag = jp == 0 ? bFrag0 : jp == 1 ? bFrag1 : jp == 2 ? bFrag2 : bFrag3;
                UInt4 fb = TensorCore.LoadMatrixX4Transposed(shared, bFrag + ks * 16 * tileN);
                bf[jp * 4] = fb.X;
                bf[jp * 4 + 1] = fb.Y;
                bf[jp * 4 + 2] = fb.Z;
                bf[jp * 4 + 3] = fb.W;
            }
            for (int i = 0; i < 4; i++)
            {
                for (int j = 0; j < 8; j++)
                {
                    int r = (i * 8 + j) * 4;
                    var fragA = new MmaFragmentA(af[i * 4], af[i * 4 + 1], af[i * 4 + 2], af[i * 4 + 3]);
                    var fragB = new MmaFragmentB(bf[j * 2], bf[j * 2 + 1]);
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
}
