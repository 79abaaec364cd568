using RectifiedSpaAttn.Compute;
using RectifiedSpaAttn.Numerics;

namespace RectifiedSpaAttn.Kernels.Attention.Estimation;

/// <summary>
/// Step 1 (and GAPR's deviations, step 6): per-block means and mean absolute deviations of the visual tokens of Q, K and
/// V in one launch (grid z picks the input). A block's tokens are contiguous (<c>count * D</c> elements), so the group
/// walks them as one run: thread <c>tid</c> owns feature <c>tid % D</c> and every <c>slots</c>-th token from
/// <c>tid / D</c> (<c>slots = GroupSize / D</c>), which makes a warp read consecutive elements, and keeps
/// <see cref="PartialSums"/> independent sums so that many loads are in flight per thread (the step is bound by reading
/// Q, K, V once). The slots' sums are then added in slot order. Heads wider than the group take one feature per thread
/// per pass and no slots. The deviation pass reads the block again (from cache) once the mean is known, which keeps it
/// exact to fp32 rounding. <c>CpuNative.HostBlockPooling</c> adds in this same order.
/// </summary>
internal static partial class BlockPoolingKernels
{
    /// <summary>Threads per group.</summary>
    public const int GroupSize = 256;

    /// <summary>Independent partial sums per thread (token u of a thread's walk goes to sum u % 8; the tail to sum 0).</summary>
    public const int PartialSums = 8;

    /// <summary>
    /// Grid (max(nQ, nK), B*H, inputs): z = 0 pools q over query blocks into queryMeans (and queryDeviations), z = 1 k over
    /// key blocks into keyMeans (and keyDeviations), z = 2 v into valueMeans (never deviations). Groups of
    /// <see cref="GroupSize"/>. Deviations are written when <paramref name="computeDeviations"/> is non-zero.
    /// </summary>
    [Kernel]
    [Specialize("T", typeof(float), typeof(Half), typeof(BFloat16))]
    public static void PoolInputs<T>(ArrayView<T> q, ArrayView<T> k, ArrayView<T> v, ArrayView<float> queryMeans, ArrayView<float> queryDeviations,
        ArrayView<float> keyMeans, ArrayView<float> keyDeviations, ArrayView<float> valueMeans,
        int sequenceLength, int visualTokens, int headDim, int queryBlockSize, int keyBlockSize, int computeDeviations) where T : unmanaged
    {
        ArrayView<float> partials = SharedMemory.Allocate<float>(GroupSize);
        ArrayView<float> means = SharedMemory.Allocate<float>(GroupSize);
        int input = Grid.IdxZ;
        if (input == 0)
            PoolBlock(q, queryMeans, queryDeviations, partials, means, sequenceLength, visualTokens, headDim, queryBlockSize, computeDeviations);
        else if (input == 1)
            PoolBlock(k, keyMeans, keyDeviations, partials, means, sequenceLength, visualTokens, headDim, keyBlockSize, computeDeviations);
        else
            PoolBlock(v, valueMeans, valueMeans, partials, means, sequenceLength, visualTokens, headDim, keyBlockSize, 0);
    }

    /// <summary>Block Grid.IdxX of head Grid.IdxY of one input (group-uniform: every thread calls it).</summary>
    private static void PoolBlock<T>(ArrayView<T> x, ArrayView<float> means, ArrayView<float> deviations, ArrayView<float> partials,
        ArrayView<float> meanTile, int sequenceLength, int visualTokens, int headDim, int blockSize, int computeDeviations) where T : unmanaged
    {
        int blocks = (visualTokens + blockSize - 1) / blockSize;
        int block = Grid.IdxX, head = Grid.IdxY, tid = Group.IdxX;
        if (block < blocks)
        {
            int start = block * blockSize;
            int count = Math.Min(blockSize, visualTokens - start);
            long tokenBase = ((long)head * sequenceLength + start) * headDim;
            long outBase = ((long)head * blocks + block) * headDim;
            int slots = GroupSize / headDim;
            if (slots <= 1)
            {
                // Wide heads: one feature per thread per pass, no slots to combine.
                for (int d = tid; d < headDim; d += GroupSize)
                {
                    float mean = SlotSum(x, tokenBase + d, headDim, count, 0, 1, 0f, 0) / count;
                    means[outBase + d] = mean;
                    if (computeDeviations != 0) deviations[outBase + d] = SlotSum(x, tokenBase + d, headDim, count, 0, 1, mean, 1) / count;
                }
            }
            else
            {
                bool active = tid < slots * headDim;
                int slot = tid / headDim, d = tid % headDim;
                partials[tid] = active ? SlotSum(x, tokenBase + d, headDim, count, slot, slots, 0f, 0) : 0f;
                Group.Barrier();
                if (active && slot == 0)
                {
                    float mean = CombineSlots(partials, d, headDim, slots) / count;
                    means[outBase + d] = mean;
                    meanTile[d] = mean;
                }
                Group.Barrier();
                if (computeDeviations != 0)
                {
                    // Every thread has read the first pass's partials (before the barrier above) before they are overwritten.
                    partials[tid] = active ? SlotSum(x, tokenBase + d, headDim, count, slot, slots, meanTile[d], 1) : 0f;
                    Group.Barrier();
                    if (active && slot == 0) deviations[outBase + d] = CombineSlots(partials, d, headDim, slots) / count;
                }
            }
        }
    }

    /// <summary>
    /// The sum over tokens slot, slot + slots, ... (below count) of feature element x[at + t * headDim], or of
    /// |x - center| when <paramref name="absolute"/> is 1, in <see cref="PartialSums"/> partial sums folded as a tree.
    /// </summary>
    private static float SlotSum<T>(ArrayView<T> x, long at, int headDim, int count, int slot, int slots, float center, int absolute) where T : unmanaged
    {
        float s0 = 0f, s1 = 0f, s2 = 0f, s3 = 0f, s4 = 0f, s5 = 0f, s6 = 0f, s7 = 0f;
        long step = (long)slots * headDim;
        long p = at + (long)slot * headDim;
        int t = slot;
        while (t + 7 * slots < count)
        {
            s0 += Term(Element.ToFloat(x[p]), center, absolute);
            s1 += Term(Element.ToFloat(x[p + step]), center, absolute);
            s2 += Term(Element.ToFloat(x[p + 2 * step]), center, absolute);
            s3 += Term(Element.ToFloat(x[p + 3 * step]), center, absolute);
            s4 += Term(Element.ToFloat(x[p + 4 * step]), center, absolute);
            s5 += Term(Element.ToFloat(x[p + 5 * step]), center, absolute);
            s6 += Term(Element.ToFloat(x[p + 6 * step]), center, absolute);
            s7 += Term(Element.ToFloat(x[p + 7 * step]), center, absolute);
            p += 8 * step;
            t += 8 * slots;
        }
        while (t < count)
        {
            s0 += Term(Element.ToFloat(x[p]), center, absolute);
            p += step;
            t += slots;
        }
        return ((s0 + s1) + (s2 + s3)) + ((s4 + s5) + (s6 + s7));
    }

    private static float Term(float value, float center, int absolute) => absolute != 0 ? MathF.Abs(value - center) : value;

    /// <summary>partials[d] + partials[D + d] + ... over the slots, in slot order.</summary>
    private static float CombineSlots(ArrayView<float> partials, int d, int headDim, int slots)
    {
        float total = partials[d];
        for (int r = 1; r < slots; r++) total += partials[r * headDim + d];
        return total;
    }
}
