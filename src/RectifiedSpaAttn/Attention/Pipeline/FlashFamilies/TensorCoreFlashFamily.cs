using RectifiedSpaAttn.Compute;
using RectifiedSpaAttn.Kernels.Attention;
using RectifiedSpaAttn.Kernels.Attention.Flash.TensorCore;

namespace RectifiedSpaAttn.Attention.Pipeline.FlashFamilies;

/// <summary>The Ampere tensor-core kernels (<see cref="TensorCoreFlashSteps"/>, mma.sync, sm_80): CUDA, 16-bit, D 64/128, blocks 64/128.</summary>
internal sealed class TensorCoreFlashFamily : IFlashFamily
{
    public static readonly TensorCoreFlashFamily Instance = new();

    public string Name => "tensor-core";

    public bool Supports(Type elementType, int headDim, int queryBlockSize, int keyBlockSize) =>
        TensorCoreFlashSteps.IsSupported(elementType, headDim, queryBlockSize, keyBlockSize);

    public void Dense<T>(IKernelLauncher launcher, AttentionShape shape, ArrayView<T> q, ArrayView<T> k, ArrayView<T> v, ArrayView<T> output,
        int queryStart, int queryCount) where T : unmanaged =>
        TensorCoreFlashSteps.DenseAttention(launcher, shape, q, k, v, output, queryStart, queryCount);

    public void Sparse<T>(IKernelLauncher launcher, AttentionShape shape, ArrayView<T> q, ArrayView<T> k, ArrayView<T> v, ArrayView<int> counts,
        ArrayView<int> lists, ArrayView<float> rectification, ArrayView<float> compensation, bool rectify, ArrayView<T> output)
        where T : unmanaged =>
        TensorCoreFlashSteps.SparseAttention(launcher, shape, q, k, v, counts, lists, rectification, compensation, rectify, output);
}
