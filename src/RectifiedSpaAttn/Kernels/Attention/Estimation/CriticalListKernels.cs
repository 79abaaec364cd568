using RectifiedSpaAttn.Compute;

namespace RectifiedSpaAttn.Kernels.Attention.Estimation;

/// <summary>
/// The compact per-row list of critical key blocks that the block-sparse attention kernel walks (it skips non-critical
/// blocks without scanning the dense mask). One thread per row, a serial scan: rows are short (nK up to ~1200) and the
/// work is tiny next to attention, so a group-wide scan would only add barriers.
/// </summary>
internal static partial class CriticalListKernels
{
    /// <summary>
    /// Grid over <paramref name="rows"/> (= B*H*nQ) threads. counts[r] = number of non-zero mask[r, :]; lists[r, 0..counts[r])
    /// = their indices, ascending; lists[r, counts[r]..nK) = -1 (so a reader that overruns sees an invalid index, not stale data).
    /// </summary>
    [Kernel]
    public static void CompactCriticalBlocks(ArrayView<byte> mask, ArrayView<int> counts, ArrayView<int> lists, int keyBlocks, int rows)
    {
        int row = Grid.GlobalIndexX;
        if (row < rows)
        {
            long rowBase = (long)row * keyBlocks;
            int count = 0;
            for (int j = 0; j < keyBlocks; j++)
            {
                if (mask[rowBase + j] != 0)
                {
                    lists[rowBase + count] = j;
                    count++;
                }
            }
            counts[row] = count;
            for (int j = count; j < keyBlocks; j++) lists[rowBase + j] = -1;
        }
    }
}
