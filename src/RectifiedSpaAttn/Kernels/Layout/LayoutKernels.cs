using RectifiedSpaAttn.Compute;
using RectifiedSpaAttn.Numerics;

namespace RectifiedSpaAttn.Kernels.Layout;

/// <summary>
/// Token reordering of <c>[B, H, S, D]</c> tensors (the Gilbert-curve layout of the visual tokens): one thread per
/// element, so consecutive threads copy consecutive head dims of one token row and both sides stay coalesced.
/// </summary>
internal static partial class LayoutKernels
{
    /// <summary>Threads per group.</summary>
    public const int GroupSize = 256;

    /// <summary>
    /// For each head (grid y): tokens <c>t &lt; orderLength</c> move by <paramref name="order"/> (gather
    /// <c>destination[t] = source[order[t]]</c>, or when <paramref name="inverse"/> is non-zero scatter
    /// <c>destination[order[t]] = source[t]</c>); later tokens are copied unchanged. Grid x <c>ceil(S * D / GroupSize)</c>.
    /// </summary>
    [Kernel]
    [Specialize("T", typeof(float), typeof(Half), typeof(BFloat16))]
    public static void PermuteTokens<T>(ArrayView<T> source, ArrayView<int> order, ArrayView<T> destination,
        int sequenceLength, int headDim, int orderLength, int inverse) where T : unmanaged
    {
        int e = Grid.GlobalIndexX;
        if (e < sequenceLength * headDim)
        {
            int t = e / headDim;
            int d = e - t * headDim;
            int from = t, to = t;
            if (t < orderLength)
            {
                if (inverse != 0) to = order[t];
                else from = order[t];
            }
            long headBase = (long)Grid.IdxY * sequenceLength * headDim;
            destination[headBase + (long)to * headDim + d] = source[headBase + (long)from * headDim + d];
        }
    }
}
