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
    /// Grid (nQ, B*H), a power-of-two group. Dynamic shared memory: <c>2 * headDim + nK</c> floats (qbar_i, dq_i, weights).
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
        float kept = 0f;
        for (int j = tid; j < keyBlocks; j += threads)
        {
            long at = keyBase + (long)j * headDim;
            float gain = 0f, queryError = 0f, keyError = 0f;
            for (int d = 0; d < headDim; d++)
            {
                float q = shared[d], kbar = keyMeans[at + d];
                gain += q * kbar;
                queryError += shared[headDim + d] * kbar;
                keyError += q * keyDeviations[at + d];
            }
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
}
