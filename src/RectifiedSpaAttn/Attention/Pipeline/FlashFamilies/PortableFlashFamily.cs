using RectifiedSpaAttn.Compute;
using RectifiedSpaAttn.Kernels.Attention;
using RectifiedSpaAttn.Kernels.Attention.Flash;

namespace RectifiedSpaAttn.Attention.Pipeline.FlashFamilies;

/// <summary>The portable SIMT kernels (<see cref="FlashSteps"/>): every accelerator, fp32 and 16-bit, any block sizes.</summary>
internal sealed class PortableFlashFamily : IFlashFamily
{
    public static readonly PortableFlashFamily Instance = new();

    public string Name => "portable";

    public bool Supports(Type elementType, int headDim, int queryBlockSize, int keyBlockSize) =>
        FlashSteps.IsSupported(elementType, headDim, queryBlockSize, keyBlockSize);

    public void Dense<T>(IKernelLauncher launcher, AttentionShape shape, ArrayView<T> q, ArrayView<T> k, ArrayView<T> v, ArrayView<T> output,
        int queryStart, int queryCount) where T : unmanaged =>
        FlashSteps.DenseAttention(launcher, shape, q, k, v, output, queryStart, queryCount);

    public void Sparse<T>(IKernelLauncher launcher, AttentionShape shape, ArrayView<T> q, ArrayView<T> k, ArrayView<T> v, ArrayView<int> counts,
        ArrayView<int> lists, ArrayView<float> rectification, ArrayView<float> compensation, bool rectify, ArrayView<T> output)
        where T : unmanaged =>
        FlashSteps.SparseAttention(launcher, shape, q, k, v, counts, lists, rectification, compensation, rectify, output);
}
