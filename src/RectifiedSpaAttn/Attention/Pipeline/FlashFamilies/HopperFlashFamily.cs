using RectifiedSpaAttn.Compute;
using RectifiedSpaAttn.Kernels.Attention;
using RectifiedSpaAttn.Kernels.Attention.Flash.Hopper;

namespace RectifiedSpaAttn.Attention.Pipeline.FlashFamilies;

/// <summary>The Hopper kernels (<see cref="HopperFlashSteps"/>: wgmma, TMA, warp specialisation, sm_90a): CUDA 9.0, 16-bit, D 64/128, blocks 64/128.</summary>
internal sealed class HopperFlashFamily : IFlashFamily
{
    public static readonly HopperFlashFamily Instance = new();

    public string Name => "hopper";

    public bool Supports(Type elementType, int headDim, int queryBlockSize, int keyBlockSize) =>
        HopperFlashSteps.IsSupported(elementType, headDim, queryBlockSize, keyBlockSize);

    public void Dense<T>(IKernelLauncher launcher, AttentionShape shape, ArrayView<T> q, ArrayView<T> k, ArrayView<T> v, ArrayView<T> output,
        int queryStart, int queryCount) where T : unmanaged =>
        HopperFlashSteps.DenseAttention(launcher, shape, q, k, v, output, queryStart, queryCount);

    public void Sparse<T>(IKernelLauncher launcher, AttentionShape shape, ArrayView<T> q, ArrayView<T> k, ArrayView<T> v, ArrayView<int> counts,
        ArrayView<int> lists, ArrayView<float> rectification, ArrayView<float> compensation, bool rectify, ArrayView<T> output)
        where T : unmanaged =>
        HopperFlashSteps.SparseAttention(launcher, shape, q, k, v, counts, lists, rectification, compensation, rectify, output);
}
