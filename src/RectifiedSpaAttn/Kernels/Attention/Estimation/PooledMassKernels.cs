using RectifiedSpaAttn.Compute;
using RectifiedSpaAttn.Numerics;

namespace RectifiedSpaAttn.Kernels.Attention.Estimation;

/// <summary>
/// Steps 2-4 for one query-block row per group: pooled logits against every key block and every isolated valid text key,
/// the row softmax, and IPAR's reallocation. The softmax denominator cancels in IPAR
/// (<c>P_ij = n_j e_ij / (sum_j n_j e_ij + sum_t e_it)</c> with <c>e = exp(a - max)</c>), so it is never formed.
/// </summary>
internal static partial class PooledMassKernels
{
    /// <summary>
    /// Grid (nQ, B*H), groups of <see cref="ColumnTiles.Columns"/> threads. Dynamic shared memory: <c>headDim + nK + validText</c> floats
    /// (the row's pooled query, then its logits and later its weighted exponentials).
    /// Writes blockMass[h, i, 0..nK) and textMass[h, i].
    /// </summary>
    [Kernel]
    [Specialize("T", typeof(float), typeof(Half), typeof(BFloat16))]
    public static void PooledMasses<T>(ArrayView<float> queryMeans, ArrayView<float> keyMeans, ArrayView<T> k,
        ArrayView<float> blockMass, ArrayView<float> textMass,
        int sequenceLength, int visualTokens, int validText, int headDim, int keyBlockSize, float scale) where T : unmanaged
    {
        ArrayView<float> scratch = SharedMemory.Allocate<float>(GroupReductions.MaxGroupSize);
        ArrayView<float> shared = SharedMemory.GetDynamic<float>();
        int row = Grid.IdxX, head = Grid.IdxY, tid = Group.IdxX, threads = Group.DimX;
        int keyBlocks = (visualTokens + keyBlockSize - 1) / keyBlockSize;
        int columns = keyBlocks + validText;
        long rowIndex = (long)head * Grid.DimX + row;

        long queryBase = rowIndex * headDim;
        for (int d = tid; d < headDim; d += threads) shared[d] = queryMeans[queryBase + d];
        Group.Barrier();

        // Thread tid owns column tileStart + tid of each tile: it alone writes and later reads that column's shared slot.
        // The pooled keys (and text keys) are staged through a tile so that global reads are coalesced (see ColumnTiles).
        ArrayView<float> tile = SharedMemory.Allocate<float>(ColumnTiles.Length);
        long keyMeanBase = (long)head * keyBlocks * headDim;
        long textBase = ((long)head * sequenceLength + visualTokens) * headDim;
        float localMax = float.NegativeInfinity;
        for (int tileStart = 0; tileStart < columns; tileStart += ColumnTiles.Columns)
        {
            float dot = 0f;
            for (int d0 = 0; d0 < headDim; d0 += ColumnTiles.Features)
            {
                for (int e = tid; e < ColumnTiles.Columns * ColumnTiles.Features; e += threads)
                {
                    int column = tileStart + e / ColumnTiles.Features, d = d0 + e % ColumnTiles.Features;
                    float value = 0f;
                    if (column < keyBlocks && d < headDim) value = keyMeans[keyMeanBase + (long)column * headDim + d];
                    else if (column < columns && d < headDim) value = Element.ToFloat(k[textBase + (long)(column - keyBlocks) * headDim + d]);
                    tile[e / ColumnTiles.Features * ColumnTiles.Stride + e % ColumnTiles.Features] = value;
                }
                Group.Barrier();
                int features = Math.Min(ColumnTiles.Features, headDim - d0);
                for (int f = 0; f < features; f++) dot += shared[d0 + f] * tile[tid * ColumnTiles.Stride + f];
                // The next chunk overwrites the tile.
                Group.Barrier();
            }
            int c = tileStart + tid;
            if (c < columns)
            {
                float logit = dot * scale;
                shared[headDim + c] = logit;
                localMax = MathF.Max(localMax, logit);
            }
        }
        float max = GroupReductions.Max(scratch, localMax);

        float visual = 0f, text = 0f;
        for (int c = tid; c < columns; c += threads)
        {
            float e = MathF.Exp(shared[headDim + c] - max);
            if (c < keyBlocks)
            {
                // IPAR: a block column stands for its n_j tokens (the last block may be partial).
                float weighted = Math.Min(keyBlockSize, visualTokens - c * keyBlockSize) * e;
                shared[headDim + c] = weighted;
                visual += weighted;
            }
            else
            {
                text += e;
            }
        }
        float visualTotal = GroupReductions.Sum(scratch, visual);
        float textTotal = GroupReductions.Sum(scratch, text);
        float inverse = 1f / (visualTotal + textTotal);

        long massBase = rowIndex * keyBlocks;
        for (int c = tid; c < keyBlocks; c += threads) blockMass[massBase + c] = shared[headDim + c] * inverse;
        if (tid == 0) textMass[rowIndex] = textTotal * inverse;
    }
}
