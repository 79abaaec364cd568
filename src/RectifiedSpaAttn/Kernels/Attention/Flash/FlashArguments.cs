using RectifiedSpaAttn.Compute;

namespace RectifiedSpaAttn.Kernels.Attention.Flash;

/// <summary>
/// The argument checks of flash attention, shared by the SIMT launchers (<see cref="FlashSteps"/>), the tensor-core
/// launchers (<c>TensorCore.TensorCoreFlashSteps</c>) and the CPU accelerator's host code (<c>CpuNative.CpuFlashAttention</c>),
/// which promise the same contract. Dense and sparse return whether there is anything to compute (false for an empty
/// range or shape, where the caller returns without touching a buffer).
/// </summary>
internal static class FlashArguments
{
    /// <summary>Dense attention over query rows <c>[queryStart, queryStart + queryCount)</c>.</summary>
    public static bool Dense<T>(AttentionShape shape, ArrayView<T> q, ArrayView<T> k, ArrayView<T> v, ArrayView<T> output,
        int queryStart, int queryCount) where T : unmanaged
    {
        RequireTokens(shape, q, k, v, output);
        if (queryStart < 0 || queryCount < 0 || (long)queryStart + queryCount > shape.SequenceLength)
            throw new ArgumentOutOfRangeException(nameof(queryCount),
                $"Query rows [{queryStart}, {(long)queryStart + queryCount}) are not within [0, {shape.SequenceLength}).");
        return queryCount != 0 && shape.HeadCount != 0;
    }

    /// <summary>Block-sparse attention of every visual query row, with the rectification epilogue when <paramref name="rectify"/>.</summary>
    public static bool Sparse<T>(AttentionShape shape, ArrayView<T> q, ArrayView<T> k, ArrayView<T> v, ArrayView<int> counts,
        ArrayView<int> lists, ArrayView<float> rectification, ArrayView<float> compensation, bool rectify, ArrayView<T> output)
        where T : unmanaged
    {
        RequireTokens(shape, q, k, v, output);
        long rowBlocks = (long)shape.HeadCount * shape.QueryBlocks;
        StepArguments.RequireElements(counts, rowBlocks, nameof(counts), "[B, H, nQ]");
        StepArguments.RequireElements(lists, rowBlocks * shape.KeyBlocks, nameof(lists), "[B, H, nQ, nK]");
        if (rectify)
        {
            StepArguments.RequireElements(rectification, rowBlocks, nameof(rectification), "[B, H, nQ]");
            StepArguments.RequireElements(compensation, rowBlocks * shape.HeadDim, nameof(compensation), "[B, H, nQ, D]");
        }
        return rowBlocks != 0;
    }

    /// <summary>Throws unless a kernel is built for <typeparamref name="T"/> and the shape, naming what is built.</summary>
    /// <param name="supported">Whether the generated variant lists hold a kernel for this combination.</param>
    /// <param name="kernels">Which kernels, for the message (e.g. "tensor-core flash-attention").</param>
    /// <param name="shape">The call's shape: its head dim and block sizes are named in the message.</param>
    /// <param name="built">What is built, for the message (from the same variant lists).</param>
    public static void RequireSupported<T>(bool supported, string kernels, AttentionShape shape, string built) where T : unmanaged
    {
        if (!supported)
            throw new NotSupportedException(
                $"No {kernels} kernel for {typeof(T).Name}, D = {shape.HeadDim}, M = {shape.QueryBlockSize}, N = {shape.KeyBlockSize}; built: {built}.");
    }

    /// <summary>
    /// The element types and head dims <paramref name="built"/> (a kernel's generated variant list) covers, e.g.
    /// <c>element types float, half, bfloat16; head dims 64, 128</c>: read from what the generator built, so it cannot
    /// drift from the kernel's <c>[Specialize]</c> lists.
    /// </summary>
    public static string DescribeBuilt(IReadOnlyList<KernelVariant> built) =>
        $"element types {string.Join(", ", built.Select(v => v.Specialization["T"]).Distinct())}; "
        + $"head dims {string.Join(", ", built.Select(v => v.Specialization["headDim"]).Distinct())}";

    /// <summary>log2(e) / sqrt(D): the softmax runs in base 2, so exp(s / sqrt(D) - m) becomes exp2(s * this - m').</summary>
    public static float ScaleLog2(int headDim) => (float)(1.4426950408889634 / Math.Sqrt(headDim));

    private static void RequireTokens<T>(AttentionShape shape, ArrayView<T> q, ArrayView<T> k, ArrayView<T> v, ArrayView<T> output)
        where T : unmanaged
    {
        StepArguments.RequireElements(q, shape.TokenElements, nameof(q), "[B, H, S, D]");
        StepArguments.RequireElements(k, shape.TokenElements, nameof(k), "[B, H, S, D]");
        StepArguments.RequireElements(v, shape.TokenElements, nameof(v), "[B, H, S, D]");
        StepArguments.RequireElements(output, shape.TokenElements, nameof(output), "[B, H, S, D]");
    }
}
