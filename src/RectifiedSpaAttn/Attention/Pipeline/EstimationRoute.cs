using RectifiedSpaAttn.Compute;
using RectifiedSpaAttn.Compute.Cpu;
using RectifiedSpaAttn.Kernels.Attention;
using RectifiedSpaAttn.Kernels.Attention.Estimation;
using RectifiedSpaAttn.Kernels.CpuNative;

namespace RectifiedSpaAttn.Attention.Pipeline;

/// <summary>
/// Where the estimation steps (pooling, masses, selection, lists, GAPR and the rectification terms) run: the generated
/// kernels through <see cref="EstimationSteps"/> (four launches: pooling, block-pair products, the per-row kernel, the
/// compensation product), or, on the CPU accelerator, <see cref="CpuEstimation"/>, the host
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

    /// <summary>Step 1 for Q, K and (when <paramref name="rectify"/>) V, with Q's and K's deviations when rectifying; see <see cref="EstimationSteps.PoolInputs"/>.</summary>
    public void PoolInputs<T>(AttentionShape shape, ArrayView<T> q, ArrayView<T> k, ArrayView<T> v, ArrayView<float> queryMeans,
        ArrayView<float> queryDeviations, ArrayView<float> keyMeans, ArrayView<float> keyDeviations, ArrayView<float> valueMeans, bool rectify)
        where T : unmanaged
    {
        if (IsNative) CpuEstimation.PoolInputs(shape, q, k, v, queryMeans, queryDeviations, keyMeans, keyDeviations, valueMeans, rectify);
        else EstimationSteps.PoolInputs(_launcher, shape, q, k, v, queryMeans, queryDeviations, keyMeans, keyDeviations, valueMeans, rectify);
    }

    /// <summary>
    /// Steps 2-5 and the compact lists: when <paramref name="masses"/>, P and T (<see cref="EstimationSteps.PooledMasses"/>);
    /// when <paramref name="rule"/> is given, the selection into <paramref name="mask"/> (else the mask is the caller's);
    /// always counts and lists. When <paramref name="gapr"/>, the kernels also write GAPR's verdicts into
    /// <paramref name="compensable"/> here, from the same block-pair products as the logits (the host route computes them
    /// in <see cref="RectificationTerms"/>): call that next.
    /// </summary>
    public void MassesAndLists<T>(AttentionShape shape, ArrayView<float> queryMeans, ArrayView<float> queryDeviations, ArrayView<float> keyMeans,
        ArrayView<float> keyDeviations, ArrayView<T> k, ArrayView<float> blockMass, ArrayView<float> textMass, ArrayView<byte> compensable,
        bool masses, bool gapr, SelectionRule? rule, ArrayView<byte> mask, ArrayView<int> counts, ArrayView<int> lists) where T : unmanaged
    {
        if (IsNative)
        {
            if (masses) CpuEstimation.PooledMasses(shape, queryMeans, keyMeans, k, blockMass, textMass);
            if (rule is { } r)
                CpuEstimation.SelectCriticalBlocks(shape, blockMass, textMass, r.Tau, r.MinCriticalBlocks, r.FirstFrameBlocks, r.NeighborMask, r.HasNeighborMask, mask);
            CpuEstimation.CompactCriticalBlocks(shape, mask, counts, lists);
            return;
        }
        if (masses) EstimationArguments.PooledMasses(shape, queryMeans, keyMeans, k, blockMass, textMass);
        if (rule is { } s)
            EstimationArguments.SelectCriticalBlocks(shape, blockMass, textMass, s.Tau, s.MinCriticalBlocks, s.FirstFrameBlocks, s.NeighborMask, s.HasNeighborMask, mask);
        EstimationArguments.CompactCriticalBlocks(shape, mask, counts, lists);
        EstimationSteps.PooledProducts(_launcher, shape, queryMeans, queryDeviations, keyMeans, keyDeviations, blockMass, compensable, masses, gapr);
        RowWork work = RowWork.Compact | (masses ? RowWork.Masses : RowWork.None) | (rule is null ? RowWork.None : RowWork.Select);
        EstimationSteps.EstimateRows(_launcher, shape, queryMeans, k, blockMass, textMass, work, rule ?? default, mask, counts, lists);
    }

    /// <summary>
    /// Step 6 and step 8's terms (<see cref="EstimationSteps.RectificationTerms"/>); on the kernels, GAPR's verdicts are
    /// those <see cref="MassesAndLists"/> wrote with gapr set.
    /// </summary>
    public void RectificationTerms(AttentionShape shape, ArrayView<float> queryMeans, ArrayView<float> queryDeviations, ArrayView<float> keyMeans,
        ArrayView<float> keyDeviations, ArrayView<float> valueMeans, ArrayView<float> blockMass, ArrayView<float> textMass, ArrayView<byte> mask,
        ArrayView<byte> compensable, ArrayView<float> rectification, ArrayView<float> compensation)
    {
        if (IsNative)
        {
            CpuEstimation.RectificationTerms(shape, queryMeans, queryDeviations, keyMeans, keyDeviations, valueMeans, blockMass, textMass, mask,
                compensable, rectification, compensation);
            return;
        }
        EstimationArguments.RectificationTerms(shape, queryMeans, queryDeviations, keyMeans, keyDeviations, valueMeans, blockMass, textMass, mask,
            compensable, rectification, compensation);
        EstimationSteps.CompensationTerms(_launcher, shape, valueMeans, blockMass, textMass, mask, compensable, rectification, compensation);
    }
}
