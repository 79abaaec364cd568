using RectifiedSpaAttn.Compute;
using RectifiedSpaAttn.Numerics;

namespace RectifiedSpaAttn.Kernels.Corpus;

/// <summary>
/// Corpus: C[M x N] (f32) = A[M x K] · B[N x K]ᵀ with A and B row-major 16-bit floats (B stored as Bᵀ, so both
/// operands are K-major, the layout <c>wgmma</c> reads without transposing), on Hopper's warpgroup tensor cores:
/// <list type="bullet">
/// <item>a 128 x <c>tileN</c> tile of C per group of three warpgroups (384 threads): warpgroup 0 is the producer, 1 and
/// 2 the consumers, each owning 64 rows x tileN of C in tileN / 2 f32 registers per thread;</item>
/// <item>the producer's elected thread streams k tiles of 64 (A 128 x 64, B tileN x 64, 128-byte swizzled) with the bulk
/// tensor copy engine into a ring of <c>stages</c> shared-memory stages: it waits for a stage's "empty" mbarrier,
/// announces the stage's bytes on its "full" mbarrier and issues the two copies, which complete on it;</item>
/// <item>each consumer waits on "full", issues four <c>wgmma.m64nNk16</c> (one per 16 k) from shared memory, commits,
/// and after <c>wgmma.wait_group 1</c> (the previous tile's products are done) releases the previous stage: one
/// arrival per consumer warp on its "empty" barrier;</item>
/// <item><c>setmaxnreg</c> gives the producer 40 registers and the consumers 232.</item>
/// </list>
/// Requirements (checked by <see cref="Launch{T}"/>): M a multiple of 128, N of <c>tileN</c>, K of 64.
/// </summary>
internal static partial class WgmmaMatmulKernels
{
    /// <summary>Rows of C per group.</summary>
    public const int TileM = 128;
    /// <summary>K per pipeline stage (one 128-byte swizzled row of 16-bit values).</summary>
    public const int TileK = 64;
    /// <summary>Producer warpgroup plus two consumer warpgroups.</summary>
    public const int GroupSize = 384;

    /// <summary>Dynamic shared memory: the ring, then 2 * stages mbarriers.</summary>
    public static int SharedBytes(int stages, int tileN) => stages * (TileM + tileN) * TileK * 2 + 2 * stages * 8;

    /// <summary>The matmul; see the class summary. <paramref name="a"/> maps A with boxes of 64 x 128, <paramref name="b"/> maps Bᵀ with boxes of 64 x tileN.</summary>
    [Kernel]
    [RequiresHopper]
    [Specialize("T", typeof(Half), typeof(BFloat16))]
    [Specialize("tileN", 128, 256)]
    [Specialize("stages", 4)]
    public static void Matmul<T>(TensorMap a, TensorMap b, ArrayView<float> c, int n, int k, [Constant] int tileN, [Constant] int stages)
        where T : unmanaged
    {
        KernelHint.LaunchBounds(384, 1);
        ArrayView<T> ring = SharedMemory.GetDynamic<T>();
        int aElements = TileM * TileK;
        int stageElements = (TileM + tileN) * TileK;
        int stageBytes = stageElements * 2;
        // The barriers follow the ring: full[s] at barrierBase + s, empty[s] at barrierBase + stages + s.
        ArrayView<ulong> barriers = SharedMemory.GetDynamic<ulong>();
        int barrierBase = stages * stageElements * 2 / 8;
        int kTiles = k / TileK;
        int blockRow = Grid.IdxY * TileM;
        int blockCol = Grid.IdxX * tileN;

        if (Group.IdxX == 0)
        {
            for (int s = 0; s < stages; s++)
            {
                Mbarrier.Init(barriers, barrierBase + s, 1);
                Mbarrier.Init(barriers, barrierBase + stages + s, 8);
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
                    for (int kt = 0; kt < kTiles; kt++)
                    {
                        int s = kt % stages;
                        // A fresh barrier is in phase 0, so the first pass over the ring (parity 1) does not wait.
                        Mbarrier.Wait(barriers, barrierBase + stages + s, ((kt / stages) & 1) ^ 1);
                        Mbarrier.ArriveExpectTransaction(barriers, barrierBase + s, stageBytes);
                        BulkTensor.Load2D(ring, s * stageElements, a, kt * TileK, blockRow, barriers, barrierBase + s);
                        BulkTensor.Load2D(ring, s * stageElements + aElements, b, kt * TileK, blockCol, barriers, barrierBase + s);
                    }
                }
            }
        }
        else
        {
            Warpgroup.IncreaseRegisters(232);
            int rowInTile = (Warpgroup.Index - 1) * 64;
            Span<float> acc = stackalloc float[tileN / 2];
            for (int kt = 0; kt < kTiles; kt++)
            {
                int s = kt % stages;
                Mbarrier.Wait(barriers, barrierBase + s, (kt / stages) & 1);
                Warpgroup.Fence();
                int aStart = s * stageElements + rowInTile * TileK;
                int bStart = s * stageElements + aElements;
                for (int kk = 0; kk < TileK / 16; kk++)
                {
                    KernelHint.Unroll();
                    Warpgroup.MmaAsync(acc, ring, aStart + kk * 16, ring, bStart + kk * 16, kt > 0 || kk > 0);
                }
                Warpgroup.CommitGroup();
                // The previous tile's products have read their stage: hand it back to the producer.
                Warpgroup.WaitGroup(1);
                if (kt > 0 && Warp.LaneIdx == 0) Mbarrier.Arrive(barriers, barrierBase + stages + (kt - 1) % stages);
            }
            Warpgroup.WaitGroup(0);

            int t = Warpgroup.ThreadIndex;
            int row = blockRow + rowInTile + 16 * (t / 32) + (t % 32) / 4;
            int col = blockCol + 2 * (t % 4);
            for (int i = 0; i < tileN / 2; i++)
            {
                long at = (long)(row + 8 * ((i / 2) % 2)) * n + col + 8 * (i / 4) + i % 2;
                c[at] = acc[i];
            }
        }
    }

    /// <summary>
    /// Launches the matmul on <paramref name="accelerator"/> (CUDA compute capability 9.0, or the CPU accelerator):
    /// C = A·Bᵀ with <paramref name="a"/> M x K and <paramref name="bTransposed"/> N x K, both row-major.
    /// </summary>
    public static void Launch<T>(Accelerator accelerator, ArrayView<T> a, ArrayView<T> bTransposed, ArrayView<float> c, int m, int n, int k, int tileN)
        where T : unmanaged
    {
        if (m % TileM != 0 || n % tileN != 0 || k % TileK != 0)
            throw new ArgumentException($"The wgmma matmul needs M a multiple of {TileM}, N of {tileN} and K of {TileK}; got {m} x {n} x {k}.");
        const int stages = 4;
        using TensorMap mapA = TensorMap.Create2D(accelerator, a, k, m, k, TileK, TileM);
        using TensorMap mapB = TensorMap.Create2D(accelerator, bTransposed, k, n, k, TileK, tileN);
        MatmulKernel.Launch<T>(accelerator, new LaunchDimensions(new Dim3(n / tileN, m / TileM, 1), new Dim3(GroupSize, 1, 1), SharedBytes(stages, tileN)),
            mapA, mapB, c, n, k, tileN, stages);
        // The maps must outlive the launch.
        accelerator.Synchronize();
    }
}
