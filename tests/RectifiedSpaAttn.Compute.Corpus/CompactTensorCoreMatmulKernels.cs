using RectifiedSpaAttn.Compute;
using RectifiedSpaAttn.Numerics;

namespace RectifiedSpaAttn.Kernels.Corpus;

/// <summary>
/// Corpus: C[M x N] (f32) = A[M x K] * B[K x N] with A and B row-major 16-bit floats, on tensor cores
/// (<c>mma.sync.m16n8k16</c> fed by <c>ldmatrix</c>, tiles staged by <c>cp.async</c>). It is the portable
/// correctness member of the corpus: <see cref="TensorCoreMatmulKernels"/> is the fast one, but it unrolls over a hundred
/// mma sites, more than the OpenCL backend emulates, so it never runs there. This one is written to be small instead:
/// <list type="bullet">
/// <item>a group of 4 warps (<see cref="GroupSize"/> threads) computes a <see cref="TileM"/> x <see cref="TileN"/>
/// tile of C, each warp 16 rows x 32 columns (four n8 accumulator tiles, 16 f32 registers per lane);</item>
/// <item>k advances <see cref="TileK"/> at a time (two k16 mma steps) through a 2-stage cp.async double buffer in
/// static shared memory: tile k+1 is in flight while tile k is multiplied;</item>
/// <item>the k loop is a loop, so the kernel has 8 mma sites (2 k steps x 4 n8 tiles) and 6 ldmatrix sites.</item>
/// </list>
/// Requirements (the kernel does not check them): M a multiple of <see cref="TileM"/>, N of <see cref="TileN"/>, K of
/// <see cref="TileK"/> (so every 16-byte copy is in bounds and aligned); group <see cref="GroupSize"/> threads; grid
/// (N / <see cref="TileN"/>, M / <see cref="TileM"/>); no dynamic shared memory.
/// </summary>
internal static partial class CompactTensorCoreMatmulKernels
{
    /// <summary>Rows of C per group (4 warps of 16 rows).</summary>
    public const int TileM = 64;
    /// <summary>Columns of C per group (each warp covers all of them).</summary>
    public const int TileN = 32;
    /// <summary>Depth of one staged k tile: two mma k steps.</summary>
    public const int TileK = 32;
    /// <summary>Threads per group: 4 warps.</summary>
    public const int GroupSize = 128;

    /// <summary>
    /// Elements per shared row of both staged tiles (A's rows are TileK long, B's TileN, both 32): one 16-byte chunk
    /// of padding makes the rows 80 bytes apart, so the 8 rows one ldmatrix phase reads fall in 8 different 16-byte
    /// bank groups, and rows stay 16-byte aligned for cp.async.
    /// </summary>
    private const int Stride = 40;

    /// <summary>The matmul; see the class summary for the launch shape. <paramref name="m"/> is implied by the grid.</summary>
    [Kernel]
    [Specialize("T", typeof(Half), typeof(BFloat16))]
    public static void Matmul<T>(ArrayView<T> a, ArrayView<T> b, ArrayView<float> c, int m, int n, int k) where T : unmanaged
    {
        // Two stages of A's 64 x 32 and of B's 32 x 32: 15 KiB, within every backend's static limit.
        ArrayView<T> aTiles = SharedMemory.Allocate<T>(2 * TileM * Stride);
        ArrayView<T> bTiles = SharedMemory.Allocate<T>(2 * TileK * Stride);
        int tid = Group.IdxX;
        int lane = Warp.LaneIdx;
        int warp = Warp.WarpIdx;
        long blockRow = (long)Grid.IdxY * TileM;
        long blockCol = (long)Grid.IdxX * TileN;
        // The copies and fragments assume exactly 4 warps; the bound makes every accelerator refuse larger groups. It
        // also gives the OpenCL backend a constant warp count, which keeps its mma emulation straight-line: pocl then
        // builds this kernel in under a second instead of half a minute.
        KernelHint.LaunchBounds(GroupSize, 0);

        // A k tile is 256 chunks of 16 bytes of A (64 rows x 4) and 128 of B (32 k-rows x 4): with 128 threads each
        // copies the same chunk position of B's row tid / 4 and of A's rows tid / 4 and tid / 4 + 32, so one shared
        // offset and one global index per operand serve every copy.
        int copyRow = tid >> 2;
        int copyCol = (tid & 3) * 8;
        int copyTo = copyRow * Stride + copyCol;
        long aFrom = (blockRow + copyRow) * k + copyCol;
        long bFrom = (long)copyRow * n + blockCol + copyCol;

        // The lane's ldmatrix rows for k step 0 of stage 0. A (x4): lane l names row l % 16 of the warp's 16 rows and
        // k half l / 16, which makes matrices 0..3 exactly the mma A fragment a0..a7. B (x4.trans): lane l names
        // k-row (l % 8) + 8 * ((l / 8) % 2) and n half l / 16, giving b0b1 of two adjacent n8 tiles.
        int aLoad = (warp * 16 + (lane & 15)) * Stride + (lane >> 4) * 8;
        int bLoad = ((lane & 7) + ((lane >> 3) & 1) * 8) * Stride + (lane >> 4) * 8;

        // Accumulator j (registers 4j..4j+3) is n8 tile j of the warp: rows lane/4 and lane/4 + 8, columns
        // 2 (lane % 4) and the next, as mma lays them out. Zero-initialised, as stackalloc is.
        Span<float> acc = stackalloc float[16];

        int kTiles = k / TileK;
        CopyTile(a, b, aTiles, bTiles, 0, copyTo, aFrom, bFrom, k);
        AsyncCopy.CommitGroup();
        // A while loop, not a for: see the note on the k loop of TiledMatmulKernels.Matmul.
        int kt = 0;
        while (kt < kTiles)
        {
            int stage = kt & 1;
            // Prefetch tile kt+1 into the other stage. Every thread commits a group each time, empty past the last
            // tile, so that waiting until one group is pending always means tile kt has landed.
            if (kt + 1 < kTiles)
                CopyTile(a, b, aTiles, bTiles, stage ^ 1, copyTo, aFrom + (kt + 1) * TileK, bFrom + (long)(kt + 1) * TileK * n, k);
            AsyncCopy.CommitGroup();
            AsyncCopy.WaitGroup(1);
            // This thread's copies of tile kt have landed; the barrier makes everyone's visible.
            Group.Barrier();
            for (int ks = 0; ks < TileK / 16; ks++)
            {
                KernelHint.Unroll();
                MultiplyStep<T>(aTiles, bTiles, stage * TileM * Stride + aLoad + ks * 16, stage * TileK * Stride + bLoad + ks * 16 * Stride, acc);
            }
            // The next iteration's prefetch overwrites this stage: every warp must be done reading it.
            Group.Barrier();
            kt++;
        }

        long cAt = (blockRow + warp * 16 + (lane >> 2)) * n + blockCol + (lane & 3) * 2;
        long eightRows = 8L * n;
        for (int j = 0; j < 4; j++)
        {
            c[cAt + j * 8] = acc[j * 4];
            c[cAt + j * 8 + 1] = acc[j * 4 + 1];
            c[cAt + eightRows + j * 8] = acc[j * 4 + 2];
            c[cAt + eightRows + j * 8 + 1] = acc[j * 4 + 3];
        }
    }

    /// <summary>
    /// Issues this thread's three cp.async copies of one k tile into stage <paramref name="stage"/>: two chunks of A
    /// (32 rows apart) and one of B. The global indices are those of the tile's first chunk position for this thread.
    /// </summary>
    private static void CopyTile<T>(ArrayView<T> a, ArrayView<T> b, ArrayView<T> aTiles, ArrayView<T> bTiles, int stage,
        int copyTo, long aFrom, long bFrom, int k) where T : unmanaged
    {
        int aStage = stage * TileM * Stride + copyTo;
        AsyncCopy.Copy16(aTiles, aStage, a, aFrom);
        AsyncCopy.Copy16(aTiles, aStage + 32 * Stride, a, aFrom + 32L * k);
        AsyncCopy.Copy16(bTiles, stage * TileK * Stride + copyTo, b, bFrom);
    }

    /// <summary>
    /// One k16 step of the warp: its 16 x 32 of C += A (16 x 16, one ldmatrix.x4 at <paramref name="aAt"/>) times
    /// B (16 x 32, two ldmatrix.x4.trans at <paramref name="bAt"/> and 16 columns on), 4 mma.
    /// </summary>
    private static void MultiplyStep<T>(ArrayView<T> aTiles, ArrayView<T> bTiles, int aAt, int bAt, Span<float> acc) where T : unmanaged
    {
        UInt4 fa = TensorCore.LoadMatrixX4(aTiles, aAt);
        var fragA = new MmaFragmentA(fa.X, fa.Y, fa.Z, fa.W);
        for (int jp = 0; jp < 2; jp++)
        {
            KernelHint.Unroll();
            UInt4 fb = TensorCore.LoadMatrixX4Transposed(bTiles, bAt + jp * 16);
            for (int h = 0; h < 2; h++)
            {
                int r = (jp * 2 + h) * 4;
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
