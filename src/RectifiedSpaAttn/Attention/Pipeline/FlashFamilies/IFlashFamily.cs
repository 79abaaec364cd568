using RectifiedSpaAttn.Compute;
using RectifiedSpaAttn.Kernels.Attention;

namespace RectifiedSpaAttn.Attention.Pipeline.FlashFamilies;

/// <summary>
/// One family of token-level attention implementations with the flash contract (<c>FlashArguments</c>): the CPU host
/// code, the portable SIMT kernels, the Ampere tensor-core kernels, the Hopper kernels. <see cref="FlashRoute"/> picks
/// the families a device can run once, in preference order, and gives each call to the first that supports its
/// combination; a new family is one new implementation of this interface and one line in <see cref="FlashRoute"/>.
/// </summary>
internal interface IFlashFamily
{
    /// <summary>A short name for diagnostics and tests (e.g. "hopper").</summary>
    string Name { get; }

    /// <summary>Whether the family has an implementation for this element type, head dim and block sizes.</summary>
    bool Supports(Type elementType, int headDim, int queryBlockSize, int keyBlockSize);

    /// <summary>Dense attention of query rows <c>[queryStart, queryStart + queryCount)</c>; see <c>FlashSteps.DenseAttention</c>.</summary>
    void Dense<T>(IKernelLauncher launcher, AttentionShape shape, ArrayView<T> q, ArrayView<T> k, ArrayView<T> v, ArrayView<T> output,
        int queryStart, int queryCount) where T : unmanaged;

    /// <summary>Block-sparse attention of the visual rows with the optional rectification; see <c>FlashSteps.SparseAttention</c>.</summary>
    void Sparse<T>(IKernelLauncher launcher, AttentionShape shape, ArrayView<T> q, ArrayView<T> k, ArrayView<T> v, ArrayView<int> counts,
        ArrayView<int> lists, ArrayView<float> rectification, ArrayView<float> compensation, bool rectify, ArrayView<T> output)
        where T : unmanaged;
}
