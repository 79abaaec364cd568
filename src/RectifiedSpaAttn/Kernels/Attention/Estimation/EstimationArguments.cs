using RectifiedSpaAttn.Compute;

namespace RectifiedSpaAttn.Kernels.Attention.Estimation;

/// <summary>
/// The argument checks of each estimation step, shared by the kernel launchers (<see cref="EstimationSteps"/>) and the
/// CPU accelerator's host code (<c>CpuNative.CpuEstimation</c>), which promise the same contract. Each returns whether
/// the step has anything to compute (false for an empty shape, where the caller returns without touching a buffer).
/// </summary>
internal static class EstimationArguments
{
    public static bool PoolBlocks<T>(AttentionShape shape, ArrayView<T> x, int blockSize, ArrayView<float> means,
        ArrayView<float> deviations, bool computeDeviations) where T : unmanaged
    {
        EstimationSteps.RequireShape(shape);
        if (blockSize < 1) throw new ArgumentOutOfRangeException(nameof(blockSize), blockSize, "The block size must be at least 1.");
        int blocks = (shape.VisualTokens + blockSize - 1) / blockSize;
        long outputs = (long)shape.HeadCount * blocks * shape.HeadDim;
        StepArguments.RequireElements(x, shape.TokenElements, nameof(x), "[B, H, S, D]");
        StepArguments.RequireElements(means, outputs, nameof(means), "[B, H, nBlocks, D]");
        if (computeDeviations) StepArguments.RequireElements(deviations, outputs, nameof(deviations), "[B, H, nBlocks, D]");
        return outputs != 0;
    }

    public static bool PooledMasses<T>(AttentionShape shape, ArrayView<float> queryMeans, ArrayView<float> keyMeans, ArrayView<T> k,
        ArrayView<float> blockMass, ArrayView<float> textMass) where T : unmanaged
    {
        EstimationSteps.RequireShape(shape);
        int nQ = shape.QueryBlocks, nK = shape.KeyBlocks;
        StepArguments.RequireElements(queryMeans, (long)shape.HeadCount * nQ * shape.HeadDim, nameof(queryMeans), "[B, H, nQ, D]");
        StepArguments.RequireElements(keyMeans, (long)shape.HeadCount * nK * shape.HeadDim, nameof(keyMeans), "[B, H, nK, D]");
        StepArguments.RequireElements(k, shape.TokenElements, nameof(k), "[B, H, S, D]");
        StepArguments.RequireElements(blockMass, (long)shape.HeadCount * nQ * nK, nameof(blockMass), "[B, H, nQ, nK]");
        StepArguments.RequireElements(textMass, (long)shape.HeadCount * nQ, nameof(textMass), "[B, H, nQ]");
        return (long)shape.HeadCount * nQ != 0;
    }

    public static bool SelectCriticalBlocks(AttentionShape shape, ArrayView<float> blockMass, ArrayView<float> textMass, float tau,
        int minCriticalBlocks, int firstFrameBlocks, ArrayView<byte> neighborMask, bool hasNeighborMask, ArrayView<byte> mask)
    {
        EstimationSteps.RequireShape(shape);
        if (float.IsNaN(tau) || tau < 0) throw new ArgumentOutOfRangeException(nameof(tau), tau, "tau must be a non-negative number.");
        ArgumentOutOfRangeException.ThrowIfNegative(minCriticalBlocks);
        ArgumentOutOfRangeException.ThrowIfNegative(firstFrameBlocks);
        int nQ = shape.QueryBlocks, nK = shape.KeyBlocks;
        long rows = (long)shape.HeadCount * nQ;
        StepArguments.RequireElements(blockMass, rows * nK, nameof(blockMass), "[B, H, nQ, nK]");
        StepArguments.RequireElements(textMass, rows, nameof(textMass), "[B, H, nQ]");
        if (hasNeighborMask) StepArguments.RequireElements(neighborMask, (long)nQ * nK, nameof(neighborMask), "[nQ, nK]");
        StepArguments.RequireElements(mask, rows * nK, nameof(mask), "[B, H, nQ, nK]");
        return rows * nK != 0;
    }

    public static bool CompactCriticalBlocks(AttentionShape shape, ArrayView<byte> mask, ArrayView<int> counts, ArrayView<int> lists)
    {
        EstimationSteps.RequireShape(shape);
        int nK = shape.KeyBlocks;
        long rows = (long)shape.HeadCount * shape.QueryBlocks;
        StepArguments.RequireElements(mask, rows * nK, nameof(mask), "[B, H, nQ, nK]");
        StepArguments.RequireElements(counts, rows, nameof(counts), "[B, H, nQ]");
        StepArguments.RequireElements(lists, rows * nK, nameof(lists), "[B, H, nQ, nK]");
        return rows != 0;
    }

    public static bool RectificationTerms(AttentionShape shape, ArrayView<float> queryMeans, ArrayView<float> queryDeviations,
        ArrayView<float> keyMeans, ArrayView<float> keyDeviations, ArrayView<float> valueMeans, ArrayView<float> blockMass,
        ArrayView<float> textMass, ArrayView<byte> mask, ArrayView<byte> compensable, ArrayView<float> rectification,
        ArrayView<float> compensation)
    {
        EstimationSteps.RequireShape(shape);
        int nQ = shape.QueryBlocks, nK = shape.KeyBlocks, dim = shape.HeadDim;
        long rows = (long)shape.HeadCount * nQ, keys = (long)shape.HeadCount * nK * dim;
        StepArguments.RequireElements(queryMeans, rows * dim, nameof(queryMeans), "[B, H, nQ, D]");
        StepArguments.RequireElements(queryDeviations, rows * dim, nameof(queryDeviations), "[B, H, nQ, D]");
        StepArguments.RequireElements(keyMeans, keys, nameof(keyMeans), "[B, H, nK, D]");
        StepArguments.RequireElements(keyDeviations, keys, nameof(keyDeviations), "[B, H, nK, D]");
        StepArguments.RequireElements(valueMeans, keys, nameof(valueMeans), "[B, H, nK, D]");
        StepArguments.RequireElements(blockMass, rows * nK, nameof(blockMass), "[B, H, nQ, nK]");
        StepArguments.RequireElements(textMass, rows, nameof(textMass), "[B, H, nQ]");
        StepArguments.RequireElements(mask, rows * nK, nameof(mask), "[B, H, nQ, nK]");
        StepArguments.RequireElements(compensable, rows * nK, nameof(compensable), "[B, H, nQ, nK]");
        StepArguments.RequireElements(rectification, rows, nameof(rectification), "[B, H, nQ]");
        StepArguments.RequireElements(compensation, rows * dim, nameof(compensation), "[B, H, nQ, D]");
        return rows != 0;
    }
}
