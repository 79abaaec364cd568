using RectifiedSpaAttn.Compute;

namespace RectifiedSpaAttn.Kernels.Attention.Estimation;

/// <summary>
/// Step 6 (GAPR) and step 8's terms, one query-block row per group. First the threads stride over key blocks j:
/// compensable(i, j) = |qbar_i . kbar_j| &gt; |dq_i . kbar_j| + |qbar_i . dk_j|; block j is in Pi_i when critical or not
/// compensable, and R_i sums those masses. The masses of the other blocks go to shared memory; then the threads stride
/// over the head dimension and accumulate C_i[d] = sum_j w_j vbar_j[d] in block order, reading vbar coalesced.
/// </summary>
internal static partial class RectificationTermKernels
{
    /// <summary>
    /// Grid (nQ, B*H), groups of <see cref="ColumnTiles.Columns"/> threads. Dynamic shared memory: <c>2 * headDim + nK</c> floats (qbar_i, dq_i, weights).
    /// Writes compensable[h, i, :], rectification[h, i] and compensation[h, i, :].
    /// </summary>
    [Kernel]
    public static void RectificationTerms(ArrayView<float> queryMeans, ArrayView<float> queryDeviations, ArrayView<float> keyMeans,
        ArrayView<float> keyDeviations, ArrayView<float> valueMeans, ArrayView<float> blockMass, ArrayView<float> textMass,
        ArrayView<byte> mask, ArrayView<byte> compensable, ArrayView<float> rectification, ArrayView<float> compensation,
        int keyBlocks, int headDim)
    {
        ArrayView<float> scratch = SharedMemory.Allocate<float>(GroupReductions.MaxGroupSize);
        ArrayView<float> shared = SharedMemory.GetDynamic<float>();
        int row = Grid.IdxX, head = Grid.IdxY, tid = Group.IdxX, threads = Group.DimX;
        long rowIndex = (long)head * Grid.DimX + row;
        long queryBase = rowIndex * headDim;
        for (int d = tid; d < headDim; d += threads)
        {
            shared[d] = queryMeans[queryBase + d];
            shared[headDim + d] = queryDeviations[queryBase + d];
        }
        Group.Barrier();

        long keyBase = (long)head * keyBlocks * headDim;
        long massBase = rowIndex * keyBlocks;
        int weights = 2 * headDim;
        // Thread tid owns key block tileStart + tid of each tile. kbar and dk are staged through one shared tile in turn,
        // so global reads are coalesced (see ColumnTiles).
        ArrayView<float> tile = SharedMemory.Allocate<float>(ColumnTiles.Length);
        float kept = 0f;
        for (int tileStart = 0; tileStart < keyBlocks; tileStart += ColumnTiles.Columns)
        {
            float gain = 0f, queryError = 0f, keyError = 0f;
            for (int d0 = 0; d0 < headDim; d0 += ColumnTiles.Features)
            {
                int features = Math.Min(ColumnTiles.Features, headDim - d0);
                StageTile(keyMeans, tile, keyBase, tileStart, d0, keyBlocks, headDim);
                Group.Barrier();
                for (int f = 0; f < features; f++)
                {
                    float kbar = tile[tid * ColumnTiles.Stride + f];
                    gain += shared[d0 + f] * kbar;
                    queryError += shared[headDim + d0 + f] * kbar;
                }
                Group.Barrier();
                StageTile(keyDeviations, tile, keyBase, tileStart, d0, keyBlocks, headDim);
                Group.Barrier();
                for (int f = 0; f < features; f++) keyError += shared[d0 + f] * tile[tid * ColumnTiles.Stride + f];
                Group.Barrier();
            }
            int j = tileStart + tid;
            if (j < keyBlocks)
            {
                bool canCompensate = MathF.Abs(gain) > MathF.Abs(queryError) + MathF.Abs(keyError);
                compensable[massBase + j] = canCompensate ? (byte)1 : (byte)0;
                float mass = blockMass[massBase + j];
                if (mask[massBase + j] != 0 || !canCompensate)
                {
                    kept += mass;
                    shared[weights + j] = 0f;
                }
                else
                {
                    shared[weights + j] = mass;
                }
            }
        }
        // The reduction's barriers also publish the weights to every thread.
        float keptTotal = GroupReductions.Sum(scratch, kept);
        if (tid == 0) rectification[rowIndex] = keptTotal + textMass[rowIndex];

        for (int d = tid; d < headDim; d += threads)
        {
            float sum = 0f;
            long at = keyBase + d;
            for (int j = 0; j < keyBlocks; j++)
            {
                float w = shared[weights + j];
                if (w != 0f) sum += w * valueMeans[at + (long)j * headDim];
            }
            compensation[queryBase + d] = sum;
        }
    }

    /// <summary>
    /// tile[c, f] = rows[base + (tileStart + c) * headDim + d0 + f] for the tile's columns and features, 0 past the rows'
    /// ends. A warp loads 32 consecutive features of one row. Every thread of the group takes part.
    /// </summary>
    private static void StageTile(ArrayView<float> rows, ArrayView<float> tile, long rowBase, int tileStart, int d0, int rowCount, int headDim)
    {
        for (int e = Group.IdxX; e < ColumnTiles.Columns * ColumnTiles.Features; e += Group.DimX)
        {
            int row = tileStart + e / ColumnTiles.Features, d = d0 + e % ColumnTiles.Features;
            float value = 0f;
            if (row < rowCount && d < headDim) value = rows[rowBase + (long)row * headDim + d];
            tile[e / ColumnTiles.Features * ColumnTiles.Stride + e % ColumnTiles.Features] = value;
        }
    }
}
