using RectifiedSpaAttn.Compute;

namespace RectifiedSpaAttn.Kernels.Attention.Estimation;

/// <summary>
/// Step 8's terms as one tiled fp32 matrix product per head, once GAPR's verdicts are known (<see cref="PooledProductKernels"/>):
/// with <c>Pi_i</c> = blocks critical in the mask or not compensable, the weights <c>w_ij = P_ij</c> off <c>Pi_i</c> (else 0),
/// <c>C = w vbar</c> and <c>R_i = sum over Pi_i of P_ij + T_i</c>. A group computes <see cref="Tile"/> rows x
/// <see cref="Tile"/> features of C: it stages <see cref="Steps"/> key blocks of w (formed from P, mask and verdicts as
/// they are read) and of vbar in shared memory, each thread accumulating a 4 x 4 sub-tile (rows ty + 16u, features
/// tx + 16w). A step whose weights are all zero (every block critical or not compensable) is skipped: it would add exact
/// zeros. Sums run over key blocks in increasing order, multiply then add, and R's threads (one per row, in the
/// first feature tile) add the kept masses in the same order; <c>CpuNative.HostRectificationTerms</c> does the same.
/// </summary>
internal static partial class RectificationTermKernels
{
    /// <summary>Rows and features per tile side.</summary>
    public const int Tile = 64;

    /// <summary>Key blocks staged per step.</summary>
    public const int Steps = 16;

    /// <summary>Threads per group (16 x 16, each with a 4 x 4 sub-tile).</summary>
    public const int GroupSize = 256;

    private const int Stride = Tile + 1;
    private const int KeptStride = Steps + 1;

    /// <summary>
    /// Grid (ceil(D / Tile), ceil(nQ / Tile), B*H). Writes compensation[h, i, :] and, from the groups of the first feature
    /// tile, rectification[h, i].
    /// </summary>
    [Kernel]
    public static void CompensationTerms(ArrayView<float> valueMeans, ArrayView<float> blockMass, ArrayView<float> textMass,
        ArrayView<byte> mask, ArrayView<byte> compensable, ArrayView<float> rectification, ArrayView<float> compensation,
        int queryBlocks, int keyBlocks, int headDim)
    {
        ArrayView<float> weightTile = SharedMemory.Allocate<float>(Steps * Stride);
        ArrayView<float> valueTile = SharedMemory.Allocate<float>(Steps * Stride);
        ArrayView<float> keptTile = SharedMemory.Allocate<float>(Tile * KeptStride);
        // Two flags, used by alternate steps, so that resetting one never races with reading the other.
        ArrayView<int> anyWeight = SharedMemory.Allocate<int>(2);
        int tid = Group.IdxX, tx = tid % 16, ty = tid / 16, head = Grid.IdxZ;
        int rowStart = Grid.IdxY * Tile, featureStart = Grid.IdxX * Tile;
        long rowBase = (long)head * queryBlocks;
        long valueBase = (long)head * keyBlocks * headDim;
        bool sumsKept = Grid.IdxX == 0 && tid < Tile;

        Span<float> sum = stackalloc float[16];
        for (int e = 0; e < 16; e++) sum[e] = 0f;
        Span<float> a = stackalloc float[4];
        Span<float> b = stackalloc float[4];
        float kept = 0f;
        if (tid < 2) anyWeight[tid] = 0;
        Group.Barrier();

        int step = 0;
        for (int j0 = 0; j0 < keyBlocks; j0 += Steps)
        {
            int flag = step & 1;
            for (int pass = 0; pass < Tile * Steps / GroupSize; pass++)
            {
                int e = pass * GroupSize + tid;
                int r = e / Steps, jj = e % Steps;
                int row = rowStart + r, j = j0 + jj;
                float weight = 0f, keptMass = 0f;
                if (row < queryBlocks && j < keyBlocks)
                {
                    long at = (rowBase + row) * keyBlocks + j;
                    float mass = blockMass[at];
                    if (mask[at] != 0 || compensable[at] == 0) keptMass = mass;
                    else weight = mass;
                }
                weightTile[jj * Stride + r] = weight;
                keptTile[r * KeptStride + jj] = keptMass;
                if (weight != 0f) anyWeight[flag] = 1;
            }
            for (int pass = 0; pass < Tile * Steps / GroupSize; pass++)
            {
                int e = pass * GroupSize + tid;
                int jj = e / Tile, f = e % Tile;
                int j = j0 + jj, d = featureStart + f;
                valueTile[jj * Stride + f] = j < keyBlocks && d < headDim ? valueMeans[valueBase + (long)j * headDim + d] : 0f;
            }
            Group.Barrier();
            if (sumsKept)
            {
                for (int jj = 0; jj < Steps; jj++) kept += keptTile[tid * KeptStride + jj];
            }
            if (anyWeight[flag] != 0)
            {
                for (int jj = 0; jj < Steps; jj++)
                {
                    KernelHint.Unroll();
                    for (int u = 0; u < 4; u++)
                    {
                        a[u] = weightTile[jj * Stride + ty + 16 * u];
                        b[u] = valueTile[jj * Stride + tx + 16 * u];
                    }
                    for (int u = 0; u < 4; u++)
                        for (int w = 0; w < 4; w++)
                            sum[u * 4 + w] += a[u] * b[w];
                }
            }
            // Every thread read the other flag before the last barrier, so it can be cleared for the next step.
            if (tid == 0) anyWeight[1 - flag] = 0;
            step++;
            Group.Barrier();
        }

        for (int u = 0; u < 4; u++)
        {
            for (int w = 0; w < 4; w++)
            {
                int row = rowStart + ty + 16 * u, d = featureStart + tx + 16 * w;
                if (row < queryBlocks && d < headDim) compensation[(rowBase + row) * headDim + d] = sum[u * 4 + w];
            }
        }
        if (sumsKept && rowStart + tid < queryBlocks) rectification[rowBase + rowStart + tid] = kept + textMass[rowBase + rowStart + tid];
    }
}
