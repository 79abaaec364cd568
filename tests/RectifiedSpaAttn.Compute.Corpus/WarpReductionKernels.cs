using RectifiedSpaAttn.Compute;

namespace RectifiedSpaAttn.Kernels.Corpus;

/// <summary>
/// Corpus: reductions inside one warp, without shared memory. One warp per row; the group holds several rows.
/// Rows past the end still run the collectives (with neutral values) and only skip the stores: the collectives need
/// all 32 lanes, and OpenCL's emulation needs the whole group.
/// </summary>
internal static partial class WarpReductionKernels
{
    /// <summary>sums[r] = sum of row r of the rows x cols matrix, with <see cref="Warp.Sum{T}"/> (a butterfly).</summary>
    [Kernel]
    public static void RowSums(ArrayView<float> matrix, ArrayView<float> sums, int rows, int cols)
    {
        int row = Grid.IdxX * (Group.DimX / Warp.Size) + Warp.WarpIdx;
        bool valid = row < rows;
        float sum = 0f;
        if (valid)
        {
            for (int col = Warp.LaneIdx; col < cols; col += Warp.Size) sum += matrix[(long)row * cols + col];
        }
        float total = Warp.Sum(sum);
        if (valid && Warp.LaneIdx == 0) sums[row] = total;
    }

    /// <summary>
    /// maxima[r] = max of row r, folded with <see cref="Warp.ShuffleDown{T}"/> into lane 0, then broadcast back with
    /// <see cref="Warp.Shuffle{T}"/> so every lane writes centered[r, c] = matrix[r, c] - max.
    /// </summary>
    [Kernel]
    public static void RowMaxAndCenter(ArrayView<float> matrix, ArrayView<float> maxima, ArrayView<float> centered, int rows, int cols)
    {
        int row = Grid.IdxX * (Group.DimX / Warp.Size) + Warp.WarpIdx;
        bool valid = row < rows;
        float max = float.NegativeInfinity;
        if (valid)
        {
            for (int col = Warp.LaneIdx; col < cols; col += Warp.Size) max = MathF.Max(max, matrix[(long)row * cols + col]);
        }
        for (int delta = 16; delta > 0; delta >>= 1) max = MathF.Max(max, Warp.ShuffleDown(max, delta));
        float rowMax = Warp.Shuffle(max, 0);
        if (valid)
        {
            if (Warp.LaneIdx == 0) maxima[row] = max;
            for (int col = Warp.LaneIdx; col < cols; col += Warp.Size)
                centered[(long)row * cols + col] = matrix[(long)row * cols + col] - rowMax;
        }
    }

    /// <summary>
    /// Inclusive prefix sums within each 32-element segment of <paramref name="values"/> (Hillis-Steele: at step d,
    /// lane l adds lane l - d, read with an index shuffle). Exercises integer shuffles; the length must be a multiple
    /// of the group size.
    /// </summary>
    [Kernel]
    public static void SegmentPrefixSums(ArrayView<int> values, ArrayView<int> prefix)
    {
        int i = Grid.GlobalIndexX;
        int lane = Warp.LaneIdx;
        int v = values[i];
        for (int d = 1; d < Warp.Size; d <<= 1)
        {
            int other = Warp.Shuffle(v, lane >= d ? lane - d : lane);
            if (lane >= d) v += other;
        }
        prefix[i] = v;
    }
}
