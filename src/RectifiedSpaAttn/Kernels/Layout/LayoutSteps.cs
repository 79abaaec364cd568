using RectifiedSpaAttn.Compute;
using RectifiedSpaAttn.Kernels.Attention;

namespace RectifiedSpaAttn.Kernels.Layout;

/// <summary>Host-side launchers of the token-layout kernels, with their argument checks.</summary>
internal static class LayoutSteps
{
    /// <summary>
    /// For every (b, h): gather <c>destination[t] = source[order[t]]</c> for <c>t &lt; order.Length</c> (the visual tokens),
    /// or when <paramref name="inverse"/> scatter <c>destination[order[t]] = source[t]</c>; tokens <c>t &gt;= order.Length</c>
    /// are copied unchanged. Rows of D elements. <paramref name="order"/> must be a permutation of <c>[0, order.Length)</c>
    /// (not checked on the device); <paramref name="source"/> and <paramref name="destination"/> must not overlap.
    /// </summary>
    public static void PermuteTokens<T>(IKernelLauncher launcher, AttentionShape shape, ArrayView<T> source,
        ArrayView<int> order, bool inverse, ArrayView<T> destination) where T : unmanaged
    {
        ArgumentNullException.ThrowIfNull(launcher);
        StepArguments.RequireElements(source, shape.TokenElements, nameof(source));
        StepArguments.RequireElements(destination, shape.TokenElements, nameof(destination));
        if (order.Length > shape.SequenceLength)
            throw new ArgumentException($"The order has {order.Length} entries but the sequence has {shape.SequenceLength} tokens.", nameof(order));
        if ((long)shape.SequenceLength * shape.HeadDim > int.MaxValue)
            throw new ArgumentException($"S * D = {(long)shape.SequenceLength * shape.HeadDim} exceeds the kernel's 32-bit element index.", nameof(shape));
        int perHead = shape.SequenceLength * shape.HeadDim;
        if (perHead == 0 || shape.HeadCount == 0) return;
        var dims = new LaunchDimensions(new Dim3((perHead + LayoutKernels.GroupSize - 1) / LayoutKernels.GroupSize, shape.HeadCount),
            LayoutKernels.GroupSize);
        LayoutKernels.PermuteTokensKernel.Launch(launcher, dims, source, order, destination, shape.SequenceLength, shape.HeadDim,
            (int)order.Length, inverse ? 1 : 0);
    }
}
