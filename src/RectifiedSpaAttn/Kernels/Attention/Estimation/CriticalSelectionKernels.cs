using RectifiedSpaAttn.Compute;

namespace RectifiedSpaAttn.Kernels.Attention.Estimation;

/// <summary>
/// Step 5, one query-block row per group. The row's entries (the nK block masses, then the text mass at index nK when
/// present) are sorted in shared memory by a bitonic network (descending mass, equal masses by ascending index: exactly
/// the reference's order, since the network only compares), padded to a power of two with entries that sort last.
/// The prefix sums of the sorted masses are counted against tau in contiguous per-thread chunks, which gives c; each
/// entry's rank then decides whether it is among the first c. O(n log^2 n) compare-swaps and about log^2 n barriers per row.
/// </summary>
internal static partial class CriticalSelectionKernels
{
    /// <summary>
    /// Grid (nQ, B*H), a power-of-two group of at most <see cref="GroupReductions.MaxGroupSize"/>. Dynamic shared memory:
    /// <c>2 * paddedLength</c> floats, <paramref name="paddedLength"/> the smallest power of two &gt;= nK + hasText.
    /// mask[h, i, j] = 1 when block j is critical for row i: selected by the prefix-sum rule, a neighbour
    /// (<paramref name="hasNeighborMask"/> non-zero and neighborMask[i, j] non-zero), or a first-frame block
    /// (i &lt; <paramref name="firstFrameBlocks"/> and j &lt; <paramref name="firstFrameBlocks"/>); else 0.
    /// </summary>
    [Kernel]
    public static void SelectCriticalBlocks(ArrayView<float> blockMass, ArrayView<float> textMass, ArrayView<byte> neighborMask,
        ArrayView<byte> mask, int keyBlocks, int hasText, int paddedLength, float tau, int minCriticalBlocks, int firstFrameBlocks,
        int hasNeighborMask)
    {
        ArrayView<float> scratch = SharedMemory.Allocate<float>(GroupReductions.MaxGroupSize);
        // [0, paddedLength): masses, sorted in place; [paddedLength, 2 * paddedLength): their entry indices (as floats,
        // exact below 2^24). After the count the first half is reused for each entry's rank.
        ArrayView<float> shared = SharedMemory.GetDynamic<float>();
        int row = Grid.IdxX, head = Grid.IdxY, tid = Group.IdxX, threads = Group.DimX;
        int length = keyBlocks + hasText;
        long rowIndex = (long)head * Grid.DimX + row;
        long massBase = rowIndex * keyBlocks;

        for (int e = tid; e < paddedLength; e += threads)
        {
            // Masses are non-negative: padding with -1 (and indices past the row) sorts after every real entry.
            float value = -1f;
            if (e < keyBlocks) value = blockMass[massBase + e];
            else if (e < length) value = textMass[rowIndex];
            shared[e] = value;
            shared[paddedLength + e] = e;
        }
        Group.Barrier();

        for (int size = 2; size <= paddedLength; size <<= 1)
        {
            for (int stride = size >> 1; stride > 0; stride >>= 1)
            {
                for (int i = tid; i < paddedLength; i += threads)
                {
                    int partner = i ^ stride;
                    if (partner > i)
                    {
                        float mi = shared[i], mp = shared[partner];
                        float ii = shared[paddedLength + i], ip = shared[paddedLength + partner];
                        bool partnerFirst = mp > mi || (mp == mi && ip < ii);
                        // Runs whose bit `size` is clear end up in selection order, the others reversed (bitonic merge).
                        bool inOrder = (i & size) == 0;
                        if (partnerFirst == inOrder)
                        {
                            shared[i] = mp;
                            shared[partner] = mi;
                            shared[paddedLength + i] = ip;
                            shared[paddedLength + partner] = ii;
                        }
                    }
                }
                Group.Barrier();
            }
        }

        // Prefix sums in sorted order: thread t sums the chunk [t * chunk, (t + 1) * chunk), publishes the chunk total, then
        // walks its chunk again from the total of the chunks before it, counting the prefixes within tau.
        int chunk = (length + threads - 1) / threads;
        int first = Math.Min(tid * chunk, length), last = Math.Min(first + chunk, length);
        float chunkTotal = 0f;
        for (int r = first; r < last; r++) chunkTotal += shared[r];
        scratch[tid] = chunkTotal;
        Group.Barrier();
        float prefix = 0f;
        for (int t = 0; t < tid; t++) prefix += scratch[t];
        float withinTau = 0f;
        for (int r = first; r < last; r++)
        {
            prefix += shared[r];
            if (prefix <= tau) withinTau += 1f;
        }
        // Every thread has read the chunk totals before the reduction reuses the scratch.
        Group.Barrier();
        int counted = (int)GroupReductions.Sum(scratch, withinTau);
        // tau >= 1 keeps the whole row, as exact arithmetic would: rounding in the prefix sums must not drop an entry.
        int keep = tau >= 1f ? length : Math.Min(Math.Max(counted + 1, minCriticalBlocks), length);

        // Each entry's rank, by entry index, over the (no longer needed) masses.
        for (int r = tid; r < length; r += threads) shared[(int)shared[paddedLength + r]] = r;
        Group.Barrier();

        for (int j = tid; j < keyBlocks; j += threads)
        {
            bool critical = shared[j] < keep;
            if (hasNeighborMask != 0 && neighborMask[(long)row * keyBlocks + j] != 0) critical = true;
            if (row < firstFrameBlocks && j < firstFrameBlocks) critical = true;
            mask[massBase + j] = critical ? (byte)1 : (byte)0;
        }
    }
}
