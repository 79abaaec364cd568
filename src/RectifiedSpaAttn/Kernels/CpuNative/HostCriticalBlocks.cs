using System.Runtime.CompilerServices;
using RectifiedSpaAttn.Kernels.Attention;

namespace RectifiedSpaAttn.Kernels.CpuNative;

/// <summary>
/// Step 5 and the compact lists on the host, one query-block row per work item. The selection sorts the row's entries
/// (block masses, then the text entry at index nK) by one 64-bit key each, which orders them exactly as the kernel's
/// bitonic network does (descending mass, equal masses by ascending index), and counts prefix sums within tau in the
/// kernel's per-thread chunks (<see cref="KernelOrder.Group"/> chunks of <c>ceil(length / G)</c> entries, each chunk
/// starting from the running total of the chunks before it), so that a prefix landing next to tau rounds the same way.
/// </summary>
internal static unsafe class HostCriticalBlocks
{
    /// <summary>Selects every row's critical blocks into <paramref name="mask"/>; arguments already validated.</summary>
    public static void Select(AttentionShape shape, float* blockMass, float* textMass, float tau, int minCritical, int firstFrame,
        byte* neighbors, byte* mask)
    {
        int nQ = shape.QueryBlocks;
        Parallel.For(0, shape.HeadCount * nQ, row => SelectRow(shape, row, row % nQ, blockMass, textMass, tau, minCritical, firstFrame, neighbors, mask));
    }

    /// <summary>Writes each row's count and ascending list of critical blocks, -1 past the count.</summary>
    public static void Compact(int rows, int nK, byte* mask, int* counts, int* lists)
    {
        Parallel.For(0, rows, row => counts[row] = CompactRow(mask + (long)row * nK, nK, lists + (long)row * nK));
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static int CompactRow(byte* flags, int nK, int* list)
    {
        int count = 0;
        for (int j = 0; j < nK; j++)
            if (flags[j] != 0) list[count++] = j;
        for (int j = count; j < nK; j++) list[j] = -1;
        return count;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void SelectRow(AttentionShape shape, int row, int i, float* blockMass, float* textMass, float tau, int minCritical,
        int firstFrame, byte* neighbors, byte* mask)
    {
        int nK = shape.KeyBlocks, length = nK + (shape.ValidTextTokens > 0 ? 1 : 0);
        float* masses = blockMass + (long)row * nK;
        byte* flags = mask + (long)row * nK;
        // Forced blocks first (neighbours, first frame); the prefix-sum rule then adds its selection.
        for (int j = 0; j < nK; j++)
            flags[j] = (neighbors != null && neighbors[(long)i * nK + j] != 0) || (i < firstFrame && j < firstFrame) ? (byte)1 : (byte)0;
        if (tau >= 1f)
        {
            // tau >= 1 keeps the whole row, as in the kernel (rounding in the prefix sums must not drop an entry).
            new Span<byte>(flags, nK).Fill(1);
            return;
        }

        Span<ulong> keys = EstimationScratch.Keys(length);
        for (int e = 0; e < length; e++) keys[e] = SortKey(e < nK ? masses[e] : textMass[row], e);
        keys.Sort();

        int chunk = (length + KernelOrder.Group - 1) / KernelOrder.Group, counted = 0;
        float chunkStart = 0f;
        for (int first = 0; first < length; first += chunk)
        {
            int last = Math.Min(first + chunk, length);
            float prefix = chunkStart, chunkTotal = 0f;
            for (int r = first; r < last; r++)
            {
                float m = Mass((int)keys[r], nK, masses, textMass + row);
                chunkTotal += m;
                prefix += m;
                if (prefix <= tau) counted++;
            }
            chunkStart += chunkTotal;
        }
        int keep = Math.Min(Math.Max(counted + 1, minCritical), length);
        for (int r = 0; r < keep; r++)
        {
            int e = (int)keys[r];
            if (e < nK) flags[e] = 1;
        }
    }

    /// <summary>
    /// Ascending order of keys = descending mass, then ascending index. Masses are non-negative (the kernel's contract; it
    /// pads with -1), so their bit patterns order like their values; adding +0 turns -0 into +0, which the kernel treats as
    /// equal to it. The complemented bits go high, the entry index low.
    /// </summary>
    private static ulong SortKey(float mass, int index) => ((ulong)~BitConverter.SingleToUInt32Bits(mass + 0f) << 32) | (uint)index;

    private static float Mass(int entry, int nK, float* masses, float* text) => entry < nK ? masses[entry] : *text;
}
