using RectifiedSpaAttn.Compute;

namespace RectifiedSpaAttn.Kernels.Attention.Estimation;

/// <summary>
/// Step 5 without a sort, one query-block row per group. For each entry e of the row (the nK block masses, then the
/// text mass at index nK when present): rank(e) = number of entries sorted before it (larger mass, or equal mass and
/// lower index) and prefix(e) = mass(e) + the masses of those entries, i.e. e's prefix sum in the sorted order.
/// The count of prefix sums within tau gives c, and e is among the first c sorted entries iff rank(e) &lt; c. O(n^2) per
/// row with the row in shared memory (a broadcast read per step); exact, and no barrier-heavy sorting network.
/// </summary>
internal static partial class CriticalSelectionKernels
{
    /// <summary>
    /// Grid (nQ, B*H), a power-of-two group. Dynamic shared memory: <c>2 * (nK + hasText)</c> floats (masses, ranks).
    /// mask[h, i, j] = 1 when block j is critical for row i: selected by the prefix-sum rule, a neighbour
    /// (<paramref name="hasNeighborMask"/> non-zero and neighborMask[i, j] non-zero), or a first-frame block
    /// (i &lt; <paramref name="firstFrameBlocks"/> and j &lt; <paramref name="firstFrameBlocks"/>); else 0.
    /// </summary>
    [Kernel]
    public static void SelectCriticalBlocks(ArrayView<float> blockMass, ArrayView<float> textMass, ArrayView<byte> neighborMask,
        ArrayView<byte> mask, int keyBlocks, int hasText, float tau, int minCriticalBlocks, int firstFrameBlocks, int hasNeighborMask)
    {
        ArrayView<float> scratch = SharedMemory.Allocate<float>(GroupReductions.MaxGroupSize);
        ArrayView<float> shared = SharedMemory.GetDynamic<float>();
        int row = Grid.IdxX, head = Grid.IdxY, tid = Group.IdxX, threads = Group.DimX;
        int length = keyBlocks + hasText;
        long rowIndex = (long)head * Grid.DimX + row;
        long massBase = rowIndex * keyBlocks;

        for (int e = tid; e < length; e += threads) shared[e] = e < keyBlocks ? blockMass[massBase + e] : textMass[rowIndex];
        Group.Barrier();

        // Ranks are stored as floats (exact below 2^24) at [length, 2 * length); each thread reads back only its own.
        float withinTau = 0f;
        for (int e = tid; e < length; e += threads)
        {
            float mass = shared[e];
            float prefix = mass;
            int rank = 0;
            for (int f = 0; f < length; f++)
            {
                float other = shared[f];
                if (other > mass || (other == mass && f < e))
                {
                    rank++;
                    prefix += other;
                }
            }
            shared[length + e] = rank;
            if (prefix <= tau) withinTau += 1f;
        }
        int counted = (int)GroupReductions.Sum(scratch, withinTau);
        // tau >= 1 keeps the whole row, as exact arithmetic would: rounding in the prefix sums must not drop an entry.
        int keep = tau >= 1f ? length : Math.Min(Math.Max(counted + 1, minCriticalBlocks), length);

        for (int j = tid; j < keyBlocks; j += threads)
        {
            bool critical = shared[length + j] < keep;
            if (hasNeighborMask != 0 && neighborMask[(long)row * keyBlocks + j] != 0) critical = true;
            if (row < firstFrameBlocks && j < firstFrameBlocks) critical = true;
            mask[massBase + j] = critical ? (byte)1 : (byte)0;
        }
    }
}
