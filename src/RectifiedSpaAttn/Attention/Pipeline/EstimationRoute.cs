using RectifiedSpaAttn.Compute;
using RectifiedSpaAttn.Compute.Cpu;
using RectifiedSpaAttn.Kernels.Attention;
using RectifiedSpaAttn.Kernels.Attention.Estimation;
using RectifiedSpaAttn.Kernels.CpuNative;

namespace RectifiedSpaAttn.Attention.Pipeline;

/// <summary>
/// Where the estimation steps (pooling, masses, selection, lists, GAPR and the rectification terms) run: the generated
/// kernels through <see cref="EstimationSteps"/>, or, on the CPU accelerator, <see cref="CpuEstimation"/>, the host
/// implementation with the same contract (emulating the kernels costs more than the rest of a CPU call). Mirrors
/// <see cref="FlashRoute"/>; both host implementations give the kernels' results bit for bit.
/// </summary>
internal readonly struct EstimationRoute
{
    private readonly IKernelLauncher _launcher;

    private EstimationRoute(IKernelLauncher launcher, bool native)
    {
        _launcher = launcher;
        IsNative = native;
    }

    /// <summary>True when the host implementation runs the steps (CPU accelerator, not forced onto the kernels).</summary>
    public bool IsNative { get; }

    /// <summary>The route for work on <paramref name="stream"/>; <paramref name="forceKernels"/> runs the emulated kernels even on the CPU.</summary>
    public static EstimationRoute For(AcceleratorStream stream, bool forceKernels) =>
        new(stream, !forceKernels && stream.Accelerator is CpuAccelerator);

    /// <summary>Step 1 (+ deviations); see <see cref="EstimationSteps.PoolBlocks"/>.</summary>
    public void PoolBlocks<T>(AttentionShape shape, ArrayView<T> x, int blockSize, ArrayView<float> means, ArrayView<float> deviations, bool computeDeviations)
        where T : unmanaged
    {
        if (IsNative) CpuEstimation.PoolBlocks(shape, x, blockSize, means, deviations, computeDeviations);
        else EstimationSteps.PoolBlocks(_launcher, shape, x, blockSize, means, deviations, computeDeviations);
    }

    /// <summary>Steps 2-4; see <see cref="EstimationSteps.PooledMasses"/>.</summary>
    public void PooledMasses<T>(AttentionShape shape, ArrayView<float> queryMeans, ArrayView<float> keyMeans, ArrayView<T> k,
        ArrayView<float> blockMass, ArrayView<float> textMass) where T : unmanaged
    {
        if (IsNative) CpuEstimation.PooledMasses(shape, queryMeans, keyMeans, k, blockMass, textMass);
        else EstimationSteps.PooledMasses(_launcher, shape, queryMeans, keyMeans, k, blockMass, textMass);
    }

    /// <summary>Step 5; see <see cref="EstimationSteps.SelectCriticalBlocks"/>.</summary>
    public void SelectCriticalBlocks(AttentionShape shape, ArrayView<float> blockMass, ArrayView<float> textMass, float tau, int minCriticalBlocks,
        int firstFrameBlocks, ArrayView<byte> neighborMask, bool hasNeighborMask, ArrayView<byte> mask)
    {
        if (IsNative) CpuEstimation.SelectCriticalBlocks(shape, blockMass, textMass, tau, minCriticalBlocks, firstFrameBlocks, neighborMask, hasNeighborMask, mask);
        else EstimationSteps.SelectCriticalBlocks(_launcher, shape, blockMass, textMass, tau, minCriticalBlocks, firstFrameBlocks, neighborMask, hasNeighborMask, mask);
    }

    /// <summary>The compact per-row lists; see <see cref="EstimationSteps.CompactCriticalBlocks"/>.</summary>
    public void CompactCriticalBlocks(AttentionShape shape, ArrayView<byte> mask, ArrayView<int> counts, ArrayView<int> lists)
    {
        if (IsNative) CpuEstimation.CompactCriticalBlocks(shape, mask, counts, lists);
        else EstimationSteps.CompactCriticalBlocks(_launcher, shape, mask, counts, lists);
    }

    /// <summary>Step 6 and step 8's terms; see <see cref="EstimationSteps.RectificationTerms"/>.</summary>
    public void RectificationTerms(AttentionShape shape, ArrayView<float> queryMeans, ArrayView<float> queryDeviations, ArrayView<float> keyMeans,
        ArrayView<float> keyDeviations, ArrayView<float> valueMeans, ArrayView<float> blockMass, ArrayView<float> textMass, ArrayView<byte> mask,
        ArrayView<byte> compensable, ArrayView<float> rectification, ArrayView<float> compensation)
    {
        if (IsNative)
            CpuEstimation.RectificationTerms(shape, queryMeans, queryDeviations, keyMeans, keyDeviations, valueMeans, blockMass, textMass, mask,
                compensable, rectification, compensation);
        else
            EstimationSteps.RectificationTerms(_launcher, shape, queryMeans, queryDeviations, keyMeans, keyDeviations, valueMeans, blockMass,
                textMass, mask, compensable, rectification, compensation);
    }
}
