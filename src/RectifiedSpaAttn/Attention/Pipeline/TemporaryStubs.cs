// TEMPORARY: signatures of the steps the helpers are writing; deleted when their branches merge.
using RectifiedSpaAttn.Compute;
namespace RectifiedSpaAttn.Kernels.Attention.Estimation
{
    internal static class EstimationSteps
    {
        public static void PoolBlocks<T>(IKernelLauncher launcher, AttentionShape shape, ArrayView<T> x, int blockSize, ArrayView<float> means, ArrayView<float> deviations, bool computeDeviations) where T : unmanaged => throw new NotImplementedException();
        public static void PooledMasses<T>(IKernelLauncher launcher, AttentionShape shape, ArrayView<float> queryMeans, ArrayView<float> keyMeans, ArrayView<T> k, ArrayView<float> blockMass, ArrayView<float> textMass) where T : unmanaged => throw new NotImplementedException();
        public static void SelectCriticalBlocks(IKernelLauncher launcher, AttentionShape shape, ArrayView<float> blockMass, ArrayView<float> textMass, float tau, int minCriticalBlocks, int firstFrameBlocks, ArrayView<byte> neighborMask, bool hasNeighborMask, ArrayView<byte> mask) => throw new NotImplementedException();
        public static void CompactCriticalBlocks(IKernelLauncher launcher, AttentionShape shape, ArrayView<byte> mask, ArrayView<int> counts, ArrayView<int> lists) => throw new NotImplementedException();
        public static void RectificationTerms(IKernelLauncher launcher, AttentionShape shape, ArrayView<float> queryMeans, ArrayView<float> queryDeviations, ArrayView<float> keyMeans, ArrayView<float> keyDeviations, ArrayView<float> valueMeans, ArrayView<float> blockMass, ArrayView<float> textMass, ArrayView<byte> mask, ArrayView<byte> compensable, ArrayView<float> rectification, ArrayView<float> compensation) => throw new NotImplementedException();
    }
}
namespace RectifiedSpaAttn.Kernels.Attention.Flash
{
    internal static class FlashSteps
    {
        public static bool IsSupported(Type elementType, int headDim, int queryBlockSize, int keyBlockSize) => throw new NotImplementedException();
        public static string DescribeSupported() => throw new NotImplementedException();
        public static void DenseAttention<T>(IKernelLauncher launcher, AttentionShape shape, ArrayView<T> q, ArrayView<T> k, ArrayView<T> v, ArrayView<T> output, int queryStart, int queryCount) where T : unmanaged => throw new NotImplementedException();
        public static void SparseAttention<T>(IKernelLauncher launcher, AttentionShape shape, ArrayView<T> q, ArrayView<T> k, ArrayView<T> v, ArrayView<int> counts, ArrayView<int> lists, ArrayView<float> rectification, ArrayView<float> compensation, bool rectify, ArrayView<T> output) where T : unmanaged => throw new NotImplementedException();
    }
}
namespace RectifiedSpaAttn.Kernels.Layout
{
    internal static class LayoutSteps
    {
        public static void PermuteTokens<T>(IKernelLauncher launcher, RectifiedSpaAttn.Kernels.Attention.AttentionShape shape, ArrayView<T> source, ArrayView<int> order, bool inverse, ArrayView<T> destination) where T : unmanaged => throw new NotImplementedException();
    }
}
namespace RectifiedSpaAttn.Kernels.CpuNative
{
    internal static class CpuFlashAttention
    {
        public static void DenseAttention<T>(RectifiedSpaAttn.Kernels.Attention.AttentionShape shape, ArrayView<T> q, ArrayView<T> k, ArrayView<T> v, ArrayView<T> output, int queryStart, int queryCount) where T : unmanaged => throw new NotImplementedException();
        public static void SparseAttention<T>(RectifiedSpaAttn.Kernels.Attention.AttentionShape shape, ArrayView<T> q, ArrayView<T> k, ArrayView<T> v, ArrayView<int> counts, ArrayView<int> lists, ArrayView<float> rectification, ArrayView<float> compensation, bool rectify, ArrayView<T> output) where T : unmanaged => throw new NotImplementedException();
    }
}
