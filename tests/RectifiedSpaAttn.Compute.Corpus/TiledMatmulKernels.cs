using RectifiedSpaAttn.Compute;

namespace RectifiedSpaAttn.Kernels.Corpus;

/// <summary>
/// Corpus: the textbook shared-memory matmul in fp32. A tile x tile group computes a tile x tile block of
/// C = A * B (row-major, any M, N, K: out-of-range elements load as zero), staging one tile of A and one of B in
/// shared memory per step, with a barrier before and after each use. The inner loop is unrolled over the
/// specialised tile size.
/// </summary>
internal static partial class TiledMatmulKernels
{
    /// <summary>c[m x n] = a[m x k] * b[k x n]. Group (tile, tile); grid (ceil(n / tile), ceil(m / tile)).</summary>
    [Kernel]
    [Specialize("tile", 16, 32)]
    public static void Matmul(ArrayView<float> a, ArrayView<float> b, ArrayView<float> c, int m, int n, int k, [Constant] int tile)
    {
        ArrayView<float> aTile = SharedMemory.Allocate<float>(tile * tile);
        ArrayView<float> bTile = SharedMemory.Allocate<float>(tile * tile);
        int tx = Group.IdxX, ty = Group.IdxY;
        int row = Grid.IdxY * tile + ty;
        int col = Grid.IdxX * tile + tx;
        float sum = 0f;
        // A while loop, not a for: the frontend tries to unroll a for loop with a constant start whose body asks for
        // unrolling anywhere (here the inner loop does), and when the bound turns out not to be constant it loses
        // the counter ("RSA0001: 'k0' cannot be compiled"). Reported to the lead; revert when fixed.
        int k0 = 0;
        while (k0 < k)
        {
            int ak = k0 + tx, bk = k0 + ty;
            aTile[ty * tile + tx] = row < m && ak < k ? a[(long)row * k + ak] : 0f;
            bTile[ty * tile + tx] = bk < k && col < n ? b[(long)bk * n + col] : 0f;
            Group.Barrier();
            for (int kk = 0; kk < tile; kk++)
            {
                KernelHint.Unroll();
                sum = MathF.FusedMultiplyAdd(aTile[ty * tile + kk], bTile[kk * tile + tx], sum);
            }
            Group.Barrier();
            k0 += tile;
        }
        if (row < m && col < n) c[(long)row * n + col] = sum;
    }
}
