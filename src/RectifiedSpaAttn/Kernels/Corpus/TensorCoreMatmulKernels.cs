using RectifiedSpaAttn.Compute;
using RectifiedSpaAttn.Numerics;

namespace RectifiedSpaAttn.Kernels.Corpus;

/// <summary>
/// Corpus: C[M x N] (f32) = A[M x K] * B[K x N] with A and B row-major 16-bit floats, on tensor cores
/// (<c>mma.sync.m16n8k16</c>). It is the compiler's performance benchmark (the issue asks for at least 395 TFLOP/s at
/// 8192^3 on an H100) as well as its tensor-core correctness test, so it is written the way a fast hand-tuned CUDA
/// kernel is:
/// <list type="bullet">
/// <item>a 128 x 256 x 32 tile per group of 8 warps (2 along M, 4 along N), each warp owning 64 x 64 of C in 128
/// f32 registers: 32 mma per 8 ldmatrix.x4 per 16-deep k step;</item>
/// <item>a <c>stages</c>-deep cp.async ring in dynamic shared memory: tile k+stages-1 is in flight while tile k is
/// multiplied, one barrier per k tile;</item>
/// <item>XOR-swizzled shared layouts so every ldmatrix phase (8 rows of 16 bytes) hits 8 different bank groups
/// without padding (padding would cost shared memory, hence stages).</item>
/// </list>
/// Requirements (checked by the host before launching): M a multiple of 128, N of 256, K of 32; group (256);
/// grid (N / 256, M / 128); dynamic shared memory <see cref="SharedBytes"/>(stages, sizeof(T)).
/// </summary>
internal static partial class TensorCoreMatmulKernels
{
    /// <summary>Rows of C per group.</summary>
    public const int TileM = 128;
    /// <summary>Columns of C per group.</summary>
    public const int TileN = 256;
    /// <summary>Depth of one k tile.</summary>
    public const int TileK = 32;
    /// <summary>Threads per group: 8 warps.</summary>
    public const int GroupSize = 256;

    /// <summary>Dynamic shared memory the kernel needs for <paramref name="stages"/> pipeline stages.</summary>
    public static int SharedBytes(int stages, int elementBytes) => stages * (TileM * TileK + TileK * TileN) * elementBytes;

    /// <summary>The matmul; see the class summary for the launch shape.</summary>
    [Kernel]
    [Specialize("T", typeof(Half), typeof(BFloat16))]
    [Specialize("stages", 3, 4)]
    public static void Matmul<T>(ArrayView<T> a, ArrayView<T> b, ArrayView<float> c, int m, int n, int k, [Constant] int stages)
        where T : unmanaged
    {
        ArrayView<T> shared = SharedMemory.GetDynamic<T>();
        const int aStageElements = TileM * TileK;
        const int bStageElements = TileK * TileN;
        int bBase = stages * aStageElements;

        int tid = Group.IdxX;
        int lane = Warp.LaneIdx;
        int warp = Warp.WarpIdx;
        int warpRow = (warp >> 2) * 64;
        int warpCol = (warp & 3) * 64;
        long blockRow = (long)Grid.IdxY * TileM;
        long blockCol = (long)Grid.IdxX * TileN;
        int kTiles = k / TileK;

        Span<float> acc = stackalloc float[128];

        // Prologue: stages-1 tiles in flight. Every thread commits a group each time, even an empty one, so the
        // wait counts below are the same for every thread and every k.
        for (int s = 0; s < stages - 1; s++)
        {
            KernelHint.Unroll();
            if (s < kTiles) LoadTile(a, b, shared, s * aStageElements, bBase + s * bStageElements, blockRow, blockCol, s * TileK, n, k, tid);
            AsyncCopy.CommitGroup();
        }

        // A while loop, not a for: see the note on the k loop of TiledMatmulKernels.Matmul.
        int kt = 0;
        while (kt < kTiles)
        {
            // Tile kt has landed for this thread; the barrier makes it everyone's, and also guarantees every warp is
            // done reading the stage the next prefetch overwrites (it was consumed in iteration kt-1).
            AsyncCopy.WaitGroup(stages - 2);
            Group.Barrier();
            int next = kt + stages - 1;
            if (next < kTiles)
            {
                int ns = next % stages;
                LoadTile(a, b, shared, ns * aStageElements, bBase + ns * bStageElements, blockRow, blockCol, next * TileK, n, k, tid);
            }
            AsyncCopy.CommitGroup();

            int cs = kt % stages;
            MultiplyStage<T>(shared, cs * aStageElements, bBase + cs * bStageElements, warpRow, warpCol, lane, acc);
            kt++;
        }
        AsyncCopy.WaitGroup(0);

        // Accumulator (i, j) holds C rows g and g+8, columns 2t and 2t+1 of the 16 x 8 tile (g = lane / 4, t = lane % 4).
        int g = lane >> 2, t2 = (lane & 3) * 2;
        for (int i = 0; i < 4; i++)
        {
            for (int j = 0; j < 8; j++)
            {
                long row = blockRow + warpRow + i * 16 + g;
                long col = blockCol + warpCol + j * 8 + t2;
                int r = (i * 8 + j) * 4;
                c[row * n + col] = acc[r];
                c[row * n + col + 1] = acc[r + 1];
                c[(row + 8) * n + col] = acc[r + 2];
                c[(row + 8) * n + col + 1] = acc[r + 3];
            }
        }
    }

    /// <summary>
    /// Issues the cp.async copies of one k tile: A's 128 x 32 (512 chunks of 16 bytes, 2 per thread) and B's 32 x 256
    /// (1024 chunks, 4 per thread), each chunk stored at its swizzled place.
    /// </summary>
    private static void LoadTile<T>(ArrayView<T> a, ArrayView<T> b, ArrayView<T> shared, int aStage, int bStage,
        long blockRow, long blockCol, int k0, int n, int k, int tid) where T : unmanaged
    {
        for (int i = 0; i < 2; i++)
        {
            KernelHint.Unroll();
            int chunk = tid + i * GroupSize;
            int row = chunk >> 2, kc = chunk & 3;
            AsyncCopy.Copy16(shared, aStage + SwizzleA(row, kc), a, (blockRow + row) * k + k0 + kc * 8);
        }
        for (int i = 0; i < 4; i++)
        {
            KernelHint.Unroll();
            int chunk = tid + i * GroupSize;
            int krow = chunk >> 5, nc = chunk & 31;
            AsyncCopy.Copy16(shared, bStage + SwizzleB(krow, nc), b, (long)(k0 + krow) * n + blockCol + nc * 8);
        }
    }

    /// <summary>
    /// A stage holds A as 128 rows of 32 elements (64 bytes: 4 chunks of 16). Rows 2j and 2j+1 share a 128-byte line;
    /// XOR-ing the chunk with (row / 2) % 4 spreads the 8 rows one ldmatrix phase reads over all 8 chunks of a line.
    /// Returns the element offset of chunk <paramref name="chunk"/> of row <paramref name="row"/>.
    /// </summary>
    private static int SwizzleA(int row, int chunk) => row * TileK + ((chunk ^ ((row >> 1) & 3)) << 3);

    /// <summary>
    /// B is 32 k-rows of 256 elements (32 chunks). The 8 k-rows of one ldmatrix.trans phase are 512 bytes apart, the
    /// same banks; XOR-ing the chunk with row % 8 moves each to a different chunk of its 128-byte group.
    /// </summary>
    private static int SwizzleB(int row, int chunk) => row * TileN + ((chunk ^ (row & 7)) << 3);

    /// <summary>Multiplies the warp's 64 x 64 of C by one 32-deep stage: two k16 steps of 4 x 8 mma each.</summary>
    private static void MultiplyStage<T>(ArrayView<T> shared, int aStage, int bStage, int warpRow, int warpCol, int lane, Span<float> acc)
        where T : unmanaged
    {
        Span<uint> af = stackalloc uint[16];
        Span<uint> bf = stackalloc uint[16];
        for (int ks = 0; ks < 2; ks++)
        {
            // A: matrices 0..3 of x4 are (rows 0-7, k 0-7), (rows 8-15, k 0-7), (rows 0-7, k 8-15), (rows 8-15, k 8-15)
            // of the 16 x 16 tile: exactly a0a1, a2a3, a4a5, a6a7 of the mma A fragment. Lane l names row l % 16, k half l / 16.
            for (int i = 0; i < 4; i++)
            {
                int row = warpRow + i * 16 + (lane & 15);
                UInt4 fa = TensorCore.LoadMatrixX4(shared, aStage + SwizzleA(row, ks * 2 + (lane >> 4)));
                af[i * 4] = fa.X;
                af[i * 4 + 1] = fa.Y;
                af[i * 4 + 2] = fa.Z;
                af[i * 4 + 3] = fa.W;
            }
            // B: x4.trans of (k 0-7, n 0-7), (k 8-15, n 0-7), (k 0-7, n 8-15), (k 8-15, n 8-15) gives b0b1, b2b3 of two
            // adjacent n8 tiles. Lane l names k row (l % 8) + 8 * ((l / 8) % 2) and n half l / 16.
            for (int jp = 0; jp < 4; jp++)
            {
                int krow = ks * 16 + (lane & 7) + ((lane >> 3) & 1) * 8;
                int nchunk = (warpCol + jp * 16) / 8 + (lane >> 4);
                UInt4 fb = TensorCore.LoadMatrixX4Transposed(shared, bStage + SwizzleB(krow, nchunk));
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
