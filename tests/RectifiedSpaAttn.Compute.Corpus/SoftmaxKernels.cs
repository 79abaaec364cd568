using RectifiedSpaAttn.Compute;
using RectifiedSpaAttn.Numerics;

namespace RectifiedSpaAttn.Kernels.Corpus;

/// <summary>
/// Corpus: numerically stable softmax over each row, one group per row. The row maximum and the sum of
/// exp(x - max) are each reduced in two levels: within warps by shuffles, then across warps through shared memory,
/// where EVERY warp re-reduces the per-warp values so the whole group holds the result without a broadcast step.
/// Input and output are in the kernel's element type (float, Half or BFloat16); all arithmetic is in float.
/// </summary>
internal static partial class SoftmaxKernels
{
    /// <summary>output[r, :] = softmax(input[r, :]). Group size a multiple of 32 up to 1024; grid (rows).</summary>
    [Kernel]
    [Specialize("T", typeof(float), typeof(Half), typeof(BFloat16))]
    public static void RowSoftmax<T>(ArrayView<T> input, ArrayView<T> output, int cols) where T : unmanaged
    {
        ArrayView<float> warpMaxima = SharedMemory.Allocate<float>(32);
        ArrayView<float> warpSums = SharedMemory.Allocate<float>(32);
        long rowStart = (long)Grid.IdxX * cols;
        int tid = Group.IdxX;
        int lane = Warp.LaneIdx;
        int warps = Group.DimX / Warp.Size;

        float max = float.NegativeInfinity;
        for (int col = tid; col < cols; col += Group.DimX) max = MathF.Max(max, Element.ToFloat(input[rowStart + col]));
        max = Warp.Max(max);
        if (lane == 0) warpMaxima[Warp.WarpIdx] = max;
        Group.Barrier();
        max = Warp.Max(lane < warps ? warpMaxima[lane] : float.NegativeInfinity);

        float sum = 0f;
        for (int col = tid; col < cols; col += Group.DimX) sum += MathF.Exp(Element.ToFloat(input[rowStart + col]) - max);
        sum = Warp.Sum(sum);
        if (lane == 0) warpSums[Warp.WarpIdx] = sum;
        Group.Barrier();
        sum = Warp.Sum(lane < warps ? warpSums[lane] : 0f);

        float scale = 1f / sum;
        for (int col = tid; col < cols; col += Group.DimX)
            output[rowStart + col] = Element.FromFloat<T>(MathF.Exp(Element.ToFloat(input[rowStart + col]) - max) * scale);
    }
}
