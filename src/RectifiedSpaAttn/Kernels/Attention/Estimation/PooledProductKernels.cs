using RectifiedSpaAttn.Compute;

namespace RectifiedSpaAttn.Kernels.Attention.Estimation;

/// <summary>
/// The block-pair products of steps 2 and 6 as one tiled fp32 matrix product per head: the pooled logits
/// <c>a_ij = (qbar_i . kbar_j) / sqrt(D)</c> and GAPR's verdict <c>|qbar_i . kbar_j| &gt; |dq_i . kbar_j| + |qbar_i . dk_j|</c>,
/// which shares the gain with the logit. A group computes a <see cref="Tile"/> x <see cref="Tile"/> tile of (query block,
/// key block) pairs: it stages <see cref="Features"/> features of the tile's qbar, kbar (and dq, dk) in shared memory,
/// feature-major, and each thread accumulates a 4 x 4 sub-tile (rows ty + 16u, columns tx + 16w, so that a warp reads
/// one address of the row tiles and 16 consecutive words of the column tiles: no bank conflicts). Every sum runs over the
/// features in increasing order, multiply then add (features past D add exact zeros), as the per-row kernels and the
/// host (<c>CpuNative.HostPooledMasses</c>, <c>HostRectificationTerms</c>) do, so the logits and verdicts match theirs.
/// About 2 x 3 x nQ x nK x D flops per head against (nQ + nK) x D x 16 bytes of L2 reads per tile row: compute-bound.
/// </summary>
internal static partial class PooledProductKernels
{
    /// <summary>Query and key blocks per tile side.</summary>
    public const int Tile = 64;

    /// <summary>Features staged per step.</summary>
    public const int Features = 16;

    /// <summary>Threads per group (16 x 16, each with a 4 x 4 sub-tile).</summary>
    public const int GroupSize = 256;

    private const int Stride = Tile + 1;

    /// <summary>
    /// Grid (ceil(nK / Tile), ceil(nQ / Tile), B*H). When <paramref name="writeLogits"/> is non-zero, logits[h, i, j] =
    /// (qbar_i . kbar_j) * scale; when <paramref name="gapr"/> is 1, compensable[h, i, j] = 1 for GAPR-compensable pairs,
    /// else 0 (dq and dk are read only then).
    /// </summary>
    [Kernel]
    [Specialize("gapr", 0, 1)]
    public static void PooledProducts(ArrayView<float> queryMeans, ArrayView<float> queryDeviations, ArrayView<float> keyMeans,
        ArrayView<float> keyDeviations, ArrayView<float> logits, ArrayView<byte> compensable,
        int queryBlocks, int keyBlocks, int headDim, float scale, int writeLogits, [Constant] int gapr)
    {
        ArrayView<float> qTile = SharedMemory.Allocate<float>(Features * Stride);
        ArrayView<float> kTile = SharedMemory.Allocate<float>(Features * Stride);
        ArrayView<float> dqTile = SharedMemory.Allocate<float>(Features * Stride);
        ArrayView<float> dkTile = SharedMemory.Allocate<float>(Features * Stride);
        int tid = Group.IdxX, tx = tid % 16, ty = tid / 16, head = Grid.IdxZ;
        int rowStart = Grid.IdxY * Tile, columnStart = Grid.IdxX * Tile;
        long queryBase = (long)head * queryBlocks * headDim, keyBase = (long)head * keyBlocks * headDim;

        Span<float> gain = stackalloc float[16];
        Span<float> queryError = stackalloc float[16];
        Span<float> keyError = stackalloc float[16];
        for (int e = 0; e < 16; e++)
        {
            gain[e] = 0f;
            queryError[e] = 0f;
            keyError[e] = 0f;
        }
        Span<float> a = stackalloc float[4];
        Span<float> b = stackalloc float[4];
        Span<float> da = stackalloc float[4];
        Span<float> db = stackalloc float[4];

        for (int d0 = 0; d0 < headDim; d0 += Features)
        {
            // 64 rows x 16 features per tile, four elements per thread; a row's 16 features are 64 consecutive bytes.
            for (int pass = 0; pass < Tile * Features / GroupSize; pass++)
            {
                int e = pass * GroupSize + tid;
                int r = e / Features, f = e % Features, d = d0 + f;
                int row = rowStart + r, column = columnStart + r;
                bool inRow = row < queryBlocks && d < headDim, inColumn = column < keyBlocks && d < headDim;
                long rowAt = queryBase + (long)row * headDim + d, columnAt = keyBase + (long)column * headDim + d;
                qTile[f * Stride + r] = inRow ? queryMeans[rowAt] : 0f;
                kTile[f * Stride + r] = inColumn ? keyMeans[columnAt] : 0f;
                if (gapr == 1)
                {
                    dqTile[f * Stride + r] = inRow ? queryDeviations[rowAt] : 0f;
                    dkTile[f * Stride + r] = inColumn ? keyDeviations[columnAt] : 0f;
                }
            }
            Group.Barrier();
            for (int f = 0; f < Features; f++)
            {
                KernelHint.Unroll();
                for (int u = 0; u < 4; u++)
                {
                    a[u] = qTile[f * Stride + ty + 16 * u];
                    b[u] = kTile[f * Stride + tx + 16 * u];
                    if (gapr == 1)
                    {
                        da[u] = dqTile[f * Stride + ty + 16 * u];
                        db[u] = dkTile[f * Stride + tx + 16 * u];
                    }
                }
                for (int u = 0; u < 4; u++)
                {
                    for (int w = 0; w < 4; w++)
                    {
                        gain[u * 4 + w] += a[u] * b[w];
                        if (gapr == 1)
                        {
                            queryError[u * 4 + w] += da[u] * b[w];
                            keyError[u * 4 + w] += a[u] * db[w];
                        }
                    }
                }
            }
            // The next step overwrites the tiles.
            Group.Barrier();
        }

        for (int u = 0; u < 4; u++)
        {
            for (int w = 0; w < 4; w++)
            {
                int row = rowStart + ty + 16 * u, column = columnStart + tx + 16 * w;
                if (row < queryBlocks && column < keyBlocks)
                {
                    long at = ((long)head * queryBlocks + row) * keyBlocks + column;
                    if (writeLogits != 0) logits[at] = gain[u * 4 + w] * scale;
                    if (gapr == 1)
                        compensable[at] = MathF.Abs(gain[u * 4 + w]) > MathF.Abs(queryError[u * 4 + w]) + MathF.Abs(keyError[u * 4 + w]) ? (byte)1 : (byte)0;
                }
            }
        }
    }
}
