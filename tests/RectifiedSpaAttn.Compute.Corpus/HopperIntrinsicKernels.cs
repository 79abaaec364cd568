using RectifiedSpaAttn.Compute;
using RectifiedSpaAttn.Numerics;

namespace RectifiedSpaAttn.Kernels.Corpus;

/// <summary>
/// Corpus: small kernels that exercise the Hopper intrinsics the wgmma matmul does not (a 3D bulk tensor copy,
/// wgmma with A from registers, a transposed (MN-major) B operand, stmatrix), so each is checked against the host on every backend that runs them.
/// </summary>
internal static partial class HopperIntrinsicKernels
{
    /// <summary>
    /// One warpgroup per group g: out[g] (64 x 64, 16-bit, row-major) = round(A[g] · B[g]ᵀ), A[g] 64 x 64 from
    /// <paramref name="a"/> (read from global memory into wgmma's register fragments), B[g] the 64 x 64 box at z = g of
    /// the 3D tensor mapped by <paramref name="b"/>, copied by the elected lane of warp 0 into 128-byte-swizzled shared
    /// memory on an mbarrier. The f32 product is rounded to T and written through shared memory with stmatrix.x4.
    /// Dynamic shared memory: 8192 (B) + 8192 (out) + 8 (barrier) bytes; group 128 threads; grid (groups).
    /// </summary>
    [Kernel]
    [RequiresHopper]
    [Specialize("T", typeof(Half), typeof(BFloat16))]
    public static void RegisterAProduct<T>(ArrayView<T> a, TensorMap b, ArrayView<T> output) where T : unmanaged
    {
        ArrayView<T> shared = SharedMemory.GetDynamic<T>();
        ArrayView<ulong> bars = SharedMemory.GetDynamic<ulong>();
        const int tile = 64 * 64, barrier = 2 * tile * 2 / 8;
        int g = Grid.IdxX, t = Warpgroup.ThreadIndex, lane = Warp.LaneIdx, warp = Warp.WarpIdx;
        if (t == 0)
        {
            Mbarrier.Init(bars, barrier, 1);
            BulkTensor.FenceProxyAsync();
        }
        Group.Barrier();
        if (warp == 0)
        {
            bool leader = HopperWarp.ElectOne();
            if (leader)
            {
                Mbarrier.ArriveExpectTransaction(bars, barrier, tile * 2);
                BulkTensor.Load3D(shared, 0, b, 0, 0, g, bars, barrier);
            }
        }
        Mbarrier.Wait(bars, barrier, 0);

        Span<float> acc = stackalloc float[32];
        int row = 16 * warp + lane / 4;
        long aBase = (long)g * tile;
        Warpgroup.Fence();
        for (int kk = 0; kk < 4; kk++)
        {
            KernelHint.Unroll();
            int col = kk * 16 + 2 * (lane % 4);
            uint a0 = Pack(a, aBase + row * 64 + col), a1 = Pack(a, aBase + (row + 8) * 64 + col);
            uint a2 = Pack(a, aBase + row * 64 + col + 8), a3 = Pack(a, aBase + (row + 8) * 64 + col + 8);
            Warpgroup.MmaAsync(acc, a0, a1, a2, a3, shared, kk * 16, kk > 0);
        }
        Warpgroup.CommitGroup();
        Warpgroup.WaitGroup(0);

        // Accumulators 4j..4j+3 are the mma C layout of columns 8j..8j+7: matrices (rows 0-7, cols 8j), (rows 8-15, 8j),
        // (rows 0-7, 8j+8), (rows 8-15, 8j+8) of this warp's 16 rows for one stmatrix.x4 per pair of column blocks.
        for (int j = 0; j < 8; j += 2)
        {
            KernelHint.Unroll();
            int m = lane / 8;
            int storeRow = 16 * warp + lane % 8 + 8 * (m % 2);
            int storeCol = 8 * (j + m / 2);
            HopperWarp.StoreMatrixX4(shared, tile + storeRow * 64 + storeCol,
                PackedPairs.Of<T>(acc[4 * j], acc[4 * j + 1]), PackedPairs.Of<T>(acc[4 * j + 2], acc[4 * j + 3]),
                PackedPairs.Of<T>(acc[4 * j + 4], acc[4 * j + 5]), PackedPairs.Of<T>(acc[4 * j + 6], acc[4 * j + 7]));
        }
        Group.Barrier();
        for (int i = t; i < tile; i += 128) output[aBase + i] = shared[tile + i];
    }

    /// <summary>
    /// One warpgroup per group g: out[g] (64 x 128, f32, row-major) = A[g] · V[g], A[g] 64 x 64 and V[g] 64 x 128 both
    /// row-major, copied by the bulk tensor engine (A as one 64 x 64 box, V as two 64-column boxes, the atoms of an
    /// MN-major wgmma B operand 8 KiB apart) and multiplied by four m64n128k16 steps with B transposed: the P·V product
    /// of attention. Maps: <paramref name="a"/> boxes 64 x 64 over rows of 64; <paramref name="v"/> boxes 64 x 64 over
    /// rows of 128. Dynamic shared memory 3 * 8192 + 8 bytes; group 128 threads; grid (groups).
    /// </summary>
    [Kernel]
    [RequiresHopper]
    [Specialize("T", typeof(Half), typeof(BFloat16))]
    public static void TransposedBProduct<T>(TensorMap a, TensorMap v, ArrayView<float> output) where T : unmanaged
    {
        ArrayView<T> shared = SharedMemory.GetDynamic<T>();
        ArrayView<ulong> bars = SharedMemory.GetDynamic<ulong>();
        const int tile = 64 * 64, barrier = 3 * tile * 2 / 8;
        int g = Grid.IdxX, t = Warpgroup.ThreadIndex;
        if (t == 0)
        {
            Mbarrier.Init(bars, barrier, 1);
            BulkTensor.FenceProxyAsync();
        }
        Group.Barrier();
        if (t == 0)
        {
            Mbarrier.ArriveExpectTransaction(bars, barrier, 3 * tile * 2);
            BulkTensor.Load2D(shared, 0, a, 0, 64 * g, bars, barrier);
            BulkTensor.Load2D(shared, tile, v, 0, 64 * g, bars, barrier);
            BulkTensor.Load2D(shared, 2 * tile, v, 64, 64 * g, bars, barrier);
        }
        Mbarrier.Wait(bars, barrier, 0);
        Span<float> acc = stackalloc float[64];
        Warpgroup.Fence();
        for (int kk = 0; kk < 4; kk++)
        {
            KernelHint.Unroll();
            // A: K-major, 16 columns further per step; B: 16 V rows (2 KiB) further per step, atoms 8 KiB apart.
            Warpgroup.MmaAsync(acc, shared, kk * 16, shared, tile + kk * 16 * 64, kk > 0, 8192);
        }
        Warpgroup.CommitGroup();
        Warpgroup.WaitGroup(0);
        int row = 16 * (t / 32) + (t % 32) / 4, col = 2 * (t % 4);
        for (int i = 0; i < 64; i++)
            output[(long)g * 64 * 128 + (row + 8 * ((i / 2) % 2)) * 128 + col + 8 * (i / 4) + i % 2] = acc[i];
    }

    private static uint Pack<T>(ArrayView<T> a, long at) where T : unmanaged => PackedPairs.Of<T>(Element.ToFloat(a[at]), Element.ToFloat(a[at + 1]));
}
