using RectifiedSpaAttn.Compute;
using RectifiedSpaAttn.Numerics;

namespace RectifiedSpaAttn.Kernels.Attention.Estimation;

/// <summary>
/// The per-row estimation steps, one query-block row per group, in one kernel so that a row's masses, ranks and flags
/// stay in shared memory between them; each part runs when its flag says (the flags are launch-uniform):
/// <list type="number">
/// <item>Masses (steps 3-4): the row's visual logits (written by <see cref="PooledProductKernels"/>) and the logits of
/// the valid text keys, the row softmax and IPAR. The softmax denominator cancels in IPAR
/// (<c>P_ij = n_j e_ij / (sum_j n_j e_ij + sum_t e_it)</c>, <c>e = exp(a - max)</c>), so it is never formed.</item>
/// <item>Selection (step 5): the row's entries (nK block masses, then the text mass at index nK when present) sorted in
/// shared memory by a bitonic network (descending mass, equal masses by ascending index: the spec's order, since the
/// network only compares), padded to a power of two with entries that sort last; the prefix sums of the sorted masses
/// counted against tau in contiguous per-thread chunks give c, and each entry's rank decides whether it is among the
/// first c; neighbours and first-frame blocks are added.</item>
/// <item>Compaction: the critical block indices in ascending order, each thread a contiguous chunk of the row placed
/// after the counts of the chunks before it.</item>
/// </list>
/// Column c of a row belongs to thread c % G and the group's partial sums fold as a tree (<see cref="GroupReductions"/>);
/// <c>CpuNative.KernelOrder</c> reproduces that order on the host.
/// </summary>
internal static partial class RowStepKernels
{
    private const int Masses = (int)RowWork.Masses, Select = (int)RowWork.Select, CompactLists = (int)RowWork.Compact;

    /// <summary>
    /// Grid (nQ, B*H), <see cref="EstimationSteps.RowGroupSize"/> threads. Dynamic shared memory: <c>2 * paddedLength</c>
    /// floats with Select, plus <c>headDim + nK + validText</c> with Masses.
    /// Masses: blockMass holds the visual logits on entry and P on exit; textMass receives T.
    /// Select: blockMass and textMass hold P and T (or were just computed); mask receives the critical blocks.
    /// Compact: counts[h, i] and lists[h, i, :] (ascending, -1 past the count) from the selected mask, or from the mask
    /// given in <paramref name="mask"/> without select. <paramref name="work"/> is a <see cref="RowWork"/> combination.
    /// </summary>
    [Kernel]
    [Specialize("T", typeof(float), typeof(Half), typeof(BFloat16))]
    [Specialize("work", Masses, Select, CompactLists, Masses | CompactLists, Masses | Select | CompactLists)]
    public static void EstimateRows<T>(ArrayView<float> queryMeans, ArrayView<T> k, ArrayView<float> blockMass, ArrayView<float> textMass,
        ArrayView<byte> neighborMask, ArrayView<byte> mask, ArrayView<int> counts, ArrayView<int> lists,
        int sequenceLength, int visualTokens, int validText, int headDim, int keyBlockSize, float scale,
        int paddedLength, float tau, int minCriticalBlocks, int firstFrameBlocks, int hasNeighborMask,
        [Constant] int work) where T : unmanaged
    {
        // The parts are compile-time constants: each variant holds only its own code and barriers (pocl miscompiled a
        // kernel whose barriers sat under run-time flags, writing past the mask).
        ArrayView<float> scratch = SharedMemory.Allocate<float>(GroupReductions.MaxGroupSize);
        // [0, padded): masses, sorted in place, later each entry's rank; [padded, 2 * padded): entry indices (as floats,
        // exact below 2^24); then, for the masses, qbar_i (headDim) and the row's columns.
        ArrayView<float> shared = SharedMemory.GetDynamic<float>();
        int row = Grid.IdxX, tid = Group.IdxX;
        int keyBlocks = (visualTokens + keyBlockSize - 1) / keyBlockSize;
        long rowIndex = (long)Grid.IdxY * Grid.DimX + row;
        long massBase = rowIndex * keyBlocks;
        int rowArea = 2 * paddedLength;

        float text = 0f;
        if ((work & Masses) != 0)
            text = RowMasses(queryMeans, k, blockMass, textMass, scratch, shared, rowArea, rowIndex, sequenceLength, visualTokens, validText,
                headDim, keyBlockSize, keyBlocks, scale);
        else if ((work & Select) != 0)
            text = textMass[rowIndex];

        int keep = 0;
        if ((work & Select) != 0)
        {
            int length = keyBlocks + (validText > 0 ? 1 : 0);
            for (int e = tid; e < paddedLength; e += Group.DimX)
            {
                // Masses are non-negative: padding with -1 (and indices past the row) sorts after every real entry.
                float value = -1f;
                if (e < keyBlocks) value = (work & Masses) != 0 ? shared[rowArea + headDim + e] : blockMass[massBase + e];
                else if (e < length) value = text;
                shared[e] = value;
                shared[paddedLength + e] = e;
            }
            Group.Barrier();
            keep = SortAndCount(shared, scratch, paddedLength, length, tau, minCriticalBlocks);
            for (int j = tid; j < keyBlocks; j += Group.DimX)
                mask[massBase + j] = IsCritical(shared, neighborMask, mask, massBase, row, j, keyBlocks, keep, 1, firstFrameBlocks, hasNeighborMask) ? (byte)1 : (byte)0;
        }

        if ((work & CompactLists) != 0)
            Compact(shared, neighborMask, mask, counts, lists, scratch, rowIndex, massBase, row, keyBlocks, keep, work & Select, firstFrameBlocks, hasNeighborMask);
    }

    /// <summary>Steps 3-4 for the row: writes P and T, leaves P in shared[work + headDim + j] and returns T.</summary>
    private static float RowMasses<T>(ArrayView<float> queryMeans, ArrayView<T> k, ArrayView<float> blockMass, ArrayView<float> textMass,
        ArrayView<float> scratch, ArrayView<float> shared, int work, long rowIndex, int sequenceLength, int visualTokens, int validText,
        int headDim, int keyBlockSize, int keyBlocks, float scale) where T : unmanaged
    {
        int tid = Group.IdxX, threads = Group.DimX;
        int columns = keyBlocks + validText, logits = work + headDim;
        long massBase = rowIndex * keyBlocks;
        long queryBase = rowIndex * headDim;
        for (int d = tid; d < headDim; d += threads) shared[work + d] = queryMeans[queryBase + d];
        Group.Barrier();

        long textBase = ((long)(rowIndex / Grid.DimX) * sequenceLength + visualTokens) * headDim;
        float localMax = float.NegativeInfinity;
        for (int c = tid; c < columns; c += threads)
        {
            float logit;
            if (c < keyBlocks)
            {
                logit = blockMass[massBase + c];
            }
            else
            {
                // A text key is its own column: its logit is a dot product with qbar_i, features in order.
                float dot = 0f;
                long at = textBase + (long)(c - keyBlocks) * headDim;
                for (int d = 0; d < headDim; d++) dot += shared[work + d] * Element.ToFloat(k[at + d]);
                logit = dot * scale;
            }
            shared[logits + c] = logit;
            localMax = MathF.Max(localMax, logit);
        }
        float max = GroupReductions.Max(scratch, localMax);

        float visual = 0f, textSum = 0f;
        for (int c = tid; c < columns; c += threads)
        {
            float e = MathF.Exp(shared[logits + c] - max);
            if (c < keyBlocks)
            {
                // IPAR: a block column stands for its n_j tokens (the last block may be partial).
                float weighted = Math.Min(keyBlockSize, visualTokens - c * keyBlockSize) * e;
                shared[logits + c] = weighted;
                visual += weighted;
            }
            else
            {
                textSum += e;
            }
        }
        float visualTotal = GroupReductions.Sum(scratch, visual);
        float textTotal = GroupReductions.Sum(scratch, textSum);
        float inverse = 1f / (visualTotal + textTotal);
        for (int c = tid; c < keyBlocks; c += threads)
        {
            float mass = shared[logits + c] * inverse;
            shared[logits + c] = mass;
            blockMass[massBase + c] = mass;
        }
        float t = textTotal * inverse;
        if (tid == 0) textMass[rowIndex] = t;
        Group.Barrier();
        return t;
    }

    /// <summary>
    /// Sorts shared[0, padded) descending with its indices, counts the prefix sums within tau and leaves each entry's rank
    /// (by entry index) in shared[0, length). Returns c, the number of entries kept by the prefix-sum rule.
    /// </summary>
    private static int SortAndCount(ArrayView<float> shared, ArrayView<float> scratch, int paddedLength, int length, float tau, int minCriticalBlocks)
    {
        int tid = Group.IdxX, threads = Group.DimX, pairs = paddedLength / 2;
        for (int size = 2; size <= paddedLength; size <<= 1)
        {
            for (int stride = size >> 1; stride > 0; stride >>= 1)
            {
                // Pair p compares entries i and i + stride, i = p with a zero bit inserted at stride's position.
                for (int p = tid; p < pairs; p += threads)
                {
                    int i = ((p & ~(stride - 1)) << 1) | (p & (stride - 1));
                    int partner = i + stride;
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
                // A stage of stride <= 32 (warp w owns pairs 32w + 128k, so entries 64(w + 4k) .. + 64) stays inside each
                // warp's entries, and so does the next one unless the merge size grows: a warp barrier is enough there.
                if (stride > 32 || stride == 1 || threads != EstimationSteps.RowGroupSize) Group.Barrier();
                else Warp.Barrier();
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
        return keep;
    }

    /// <summary>Whether block j of the row is critical: by rank, neighbour or first frame when selected, else the given mask.</summary>
    private static bool IsCritical(ArrayView<float> ranks, ArrayView<byte> neighborMask, ArrayView<byte> mask, long massBase, int row, int j,
        int keyBlocks, int keep, int selected, int firstFrameBlocks, int hasNeighborMask)
    {
        if (selected == 0) return mask[massBase + j] != 0;
        bool critical = ranks[j] < keep;
        if (hasNeighborMask != 0 && neighborMask[(long)row * keyBlocks + j] != 0) critical = true;
        if (row < firstFrameBlocks && j < firstFrameBlocks) critical = true;
        return critical;
    }

    /// <summary>The row's count and ascending list of critical blocks (-1 past the count).</summary>
    private static void Compact(ArrayView<float> ranks, ArrayView<byte> neighborMask, ArrayView<byte> mask, ArrayView<int> counts,
        ArrayView<int> lists, ArrayView<float> scratch, long rowIndex, long massBase, int row, int keyBlocks, int keep, int selected,
        int firstFrameBlocks, int hasNeighborMask)
    {
        int tid = Group.IdxX, threads = Group.DimX;
        int chunk = (keyBlocks + threads - 1) / threads;
        int first = Math.Min(tid * chunk, keyBlocks), last = Math.Min(first + chunk, keyBlocks);
        int mine = 0;
        for (int j = first; j < last; j++)
            if (IsCritical(ranks, neighborMask, mask, massBase, row, j, keyBlocks, keep, selected, firstFrameBlocks, hasNeighborMask)) mine++;
        // Counts are exact in floats (at most nK < 2^24).
        scratch[tid] = mine;
        Group.Barrier();
        int before = 0, total = 0;
        for (int t = 0; t < threads; t++)
        {
            int n = (int)scratch[t];
            if (t < tid) before += n;
            total += n;
        }
        int at = before;
        for (int j = first; j < last; j++)
        {
            if (IsCritical(ranks, neighborMask, mask, massBase, row, j, keyBlocks, keep, selected, firstFrameBlocks, hasNeighborMask))
            {
                lists[massBase + at] = j;
                at++;
            }
        }
        for (int p = total + tid; p < keyBlocks; p += threads) lists[massBase + p] = -1;
        if (tid == 0) counts[rowIndex] = total;
    }
}
