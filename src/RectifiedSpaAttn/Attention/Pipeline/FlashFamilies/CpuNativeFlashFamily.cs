using RectifiedSpaAttn.Compute;
using RectifiedSpaAttn.Kernels.Attention;
using RectifiedSpaAttn.Kernels.CpuNative;

namespace RectifiedSpaAttn.Attention.Pipeline.FlashFamilies;

/// <summary>
/// The hand-vectorised host implementation (<see cref="CpuFlashAttention"/>) on the CPU accelerator: any combination.
/// It runs synchronously on the host, so the launcher only names the CPU accelerator.
/// </summary>
internal sealed class CpuNativeFlashFamily : IFlashFamily
{
    public static readonly CpuNativeFlashFamily Instance = new();

    public string Name => "cpu-native";

    public bool Supports(Type elementType, int headDim, int queryBlockSize, int keyBlockSize) => true;

    public void Dense<T>(IKernelLauncher launcher, AttentionShape shape, ArrayView<T> q, ArrayView<T> k, ArrayView<T> v, ArrayView<T> output,
        int queryStart, int queryCount) where T : unmanaged =>
        CpuFlashAttention.DenseAttention(shape, q, k, v, output, queryStart, queryCount);

    public void Sparse<T>(IKernelLauncher launcher, AttentionShape shape, ArrayView<T> q, ArrayView<T> k, ArrayView<T> v, ArrayView<int> counts,
        ArrayView<int> lists, ArrayView<float> rectification, ArrayView<float> compensation, bool rectify, ArrayView<T> output)
        where T : unmanaged =>
        CpuFlashAttention.SparseAttention(shape, q, k, v, counts, lists, rectification, compensation, rectify, output);
}
