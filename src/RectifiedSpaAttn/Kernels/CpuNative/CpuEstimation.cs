using System.Runtime.Intrinsics;
using RectifiedSpaAttn.Compute;
using RectifiedSpaAttn.Kernels.Attention;
using RectifiedSpaAttn.Kernels.Attention.Estimation;

namespace RectifiedSpaAttn.Kernels.CpuNative;

/// <summary>
/// Host implementations of the estimation steps (spec steps 1-6 and the terms of step 8) for the CPU accelerator, in
/// place of emulating <see cref="EstimationSteps"/>' kernels group by group. Same contract and argument checks as those
/// methods minus the launcher (and minus the kernels' shared-memory limits, which the host does not have): views are
/// CPU-accelerator memory (a view's handle is a host address), statistics are fp32, Q, K, V may be <see cref="float"/>,
/// <see cref="Half"/> or <see cref="Numerics.BFloat16"/>. Each call is synchronous and parallel over rows or blocks.
/// The fp32 operations are those of the kernels in the kernels' order (vectorised across columns or features, never
/// across a sum), so on the same inputs every output equals the emulated kernels' bit for bit.
/// </summary>
internal static unsafe class CpuEstimation
{
    /// <summary>Step 1 (+ GAPR deviations); see <see cref="EstimationSteps.PoolBlocks"/>.</summary>
    public static void PoolBlocks<T>(AttentionShape shape, ArrayView<T> x, int blockSize, ArrayView<float> means, ArrayView<float> deviations,
        bool computeDeviations) where T : unmanaged
        => PoolBlocks(shape, x, blockSize, means, deviations, computeDeviations, SimdLevels.Best);

    /// <summary>Step 1 for Q, K and (when <paramref name="rectify"/>) V; see <see cref="EstimationSteps.PoolInputs"/>.</summary>
    public static void PoolInputs<T>(AttentionShape shape, ArrayView<T> q, ArrayView<T> k, ArrayView<T> v, ArrayView<float> queryMeans,
        ArrayView<float> queryDeviations, ArrayView<float> keyMeans, ArrayView<float> keyDeviations, ArrayView<float> valueMeans, bool rectify)
        where T : unmanaged
    {
        PoolBlocks(shape, q, shape.QueryBlockSize, queryMeans, queryDeviations, rectify);
        PoolBlocks(shape, k, shape.KeyBlockSize, keyMeans, keyDeviations, rectify);
        if (rectify) PoolBlocks(shape, v, shape.KeyBlockSize, valueMeans, valueMeans, computeDeviations: false);
    }

    /// <summary>Steps 2-4 (logits, softmax, IPAR); see <see cref="EstimationSteps.PooledMasses"/>.</summary>
    public static void PooledMasses<T>(AttentionShape shape, ArrayView<float> queryMeans, ArrayView<float> keyMeans, ArrayView<T> k,
        ArrayView<float> blockMass, ArrayView<float> textMass) where T : unmanaged
        => PooledMasses(shape, queryMeans, keyMeans, k, blockMass, textMass, SimdLevels.Best);

    /// <summary>Step 5; see <see cref="EstimationSteps.SelectCriticalBlocks"/>. Masses must be non-negative, as for the kernel.</summary>
    public static void SelectCriticalBlocks(AttentionShape shape, ArrayView<float> blockMass, ArrayView<float> textMass, float tau,
        int minCriticalBlocks, int firstFrameBlocks, ArrayView<byte> neighborMask, bool hasNeighborMask, ArrayView<byte> mask)
    {
        if (!EstimationArguments.SelectCriticalBlocks(shape, blockMass, textMass, tau, minCriticalBlocks, firstFrameBlocks, neighborMask, hasNeighborMask, mask)) return;
        HostCriticalBlocks.Select(shape, Address(blockMass), Address(textMass), tau, minCriticalBlocks, firstFrameBlocks,
            hasNeighborMask ? Address(neighborMask) : null, Address(mask));
    }

    /// <summary>The compact per-row lists; see <see cref="EstimationSteps.CompactCriticalBlocks"/>.</summary>
    public static void CompactCriticalBlocks(AttentionShape shape, ArrayView<byte> mask, ArrayView<int> counts, ArrayView<int> lists)
    {
        if (!EstimationArguments.CompactCriticalBlocks(shape, mask, counts, lists)) return;
        long rows = (long)shape.HeadCount * shape.QueryBlocks;
        HostCriticalBlocks.Compact((int)rows, shape.KeyBlocks, Address(mask), Address(counts), Address(lists));
    }

    /// <summary>Step 6 and step 8's terms; see <see cref="EstimationSteps.RectificationTerms"/>.</summary>
    public static void RectificationTerms(AttentionShape shape, ArrayView<float> queryMeans, ArrayView<float> queryDeviations,
        ArrayView<float> keyMeans, ArrayView<float> keyDeviations, ArrayView<float> valueMeans, ArrayView<float> blockMass,
        ArrayView<float> textMass, ArrayView<byte> mask, ArrayView<byte> compensable, ArrayView<float> rectification, ArrayView<float> compensation)
        => RectificationTerms(shape, queryMeans, queryDeviations, keyMeans, keyDeviations, valueMeans, blockMass, textMass, mask,
            compensable, rectification, compensation, SimdLevels.Best);

    /// <summary><see cref="PoolBlocks{T}(AttentionShape, ArrayView{T}, int, ArrayView{float}, ArrayView{float}, bool)"/> at a chosen vector width (tests run every width).</summary>
    internal static void PoolBlocks<T>(AttentionShape shape, ArrayView<T> x, int blockSize, ArrayView<float> means, ArrayView<float> deviations,
        bool computeDeviations, SimdLevel level) where T : unmanaged
    {
        RequireElement<T>();
        if (!EstimationArguments.PoolBlocks(shape, x, blockSize, means, deviations, computeDeviations)) return;
        T* px = Address(x);
        float* pm = Address(means), pd = computeDeviations ? Address(deviations) : null;
        switch (level)
        {
            case SimdLevel.Vector512: HostBlockPooling.Run<T, Simd512, Vector512<float>>(shape, px, blockSize, pm, pd, computeDeviations); break;
            case SimdLevel.Vector256: HostBlockPooling.Run<T, Simd256, Vector256<float>>(shape, px, blockSize, pm, pd, computeDeviations); break;
            case SimdLevel.Vector128: HostBlockPooling.Run<T, Simd128, Vector128<float>>(shape, px, blockSize, pm, pd, computeDeviations); break;
            default: HostBlockPooling.Run<T, SimdScalar, float>(shape, px, blockSize, pm, pd, computeDeviations); break;
        }
    }

    /// <summary><see cref="PooledMasses{T}(AttentionShape, ArrayView{float}, ArrayView{float}, ArrayView{T}, ArrayView{float}, ArrayView{float})"/> at a chosen vector width.</summary>
    internal static void PooledMasses<T>(AttentionShape shape, ArrayView<float> queryMeans, ArrayView<float> keyMeans, ArrayView<T> k,
        ArrayView<float> blockMass, ArrayView<float> textMass, SimdLevel level) where T : unmanaged
    {
        RequireElement<T>();
        if (!EstimationArguments.PooledMasses(shape, queryMeans, keyMeans, k, blockMass, textMass)) return;
        float* q = Address(queryMeans), kb = Address(keyMeans), p = Address(blockMass), t = Address(textMass);
        T* pk = Address(k);
        switch (level)
        {
            case SimdLevel.Vector512: HostPooledMasses.Run<T, Simd512, Vector512<float>>(shape, q, kb, pk, p, t); break;
            case SimdLevel.Vector256: HostPooledMasses.Run<T, Simd256, Vector256<float>>(shape, q, kb, pk, p, t); break;
            case SimdLevel.Vector128: HostPooledMasses.Run<T, Simd128, Vector128<float>>(shape, q, kb, pk, p, t); break;
            default: HostPooledMasses.Run<T, SimdScalar, float>(shape, q, kb, pk, p, t); break;
        }
    }

    /// <summary><see cref="RectificationTerms(AttentionShape, ArrayView{float}, ArrayView{float}, ArrayView{float}, ArrayView{float}, ArrayView{float}, ArrayView{float}, ArrayView{float}, ArrayView{byte}, ArrayView{byte}, ArrayView{float}, ArrayView{float})"/> at a chosen vector width.</summary>
    internal static void RectificationTerms(AttentionShape shape, ArrayView<float> queryMeans, ArrayView<float> queryDeviations,
        ArrayView<float> keyMeans, ArrayView<float> keyDeviations, ArrayView<float> valueMeans, ArrayView<float> blockMass,
        ArrayView<float> textMass, ArrayView<byte> mask, ArrayView<byte> compensable, ArrayView<float> rectification, ArrayView<float> compensation,
        SimdLevel level)
    {
        if (!EstimationArguments.RectificationTerms(shape, queryMeans, queryDeviations, keyMeans, keyDeviations, valueMeans, blockMass, textMass, mask,
            compensable, rectification, compensation)) return;
        float* q = Address(queryMeans), dq = Address(queryDeviations), kb = Address(keyMeans), dk = Address(keyDeviations), vb = Address(valueMeans);
        float* p = Address(blockMass), t = Address(textMass), r = Address(rectification), c = Address(compensation);
        byte* m = Address(mask), verdicts = Address(compensable);
        switch (level)
        {
            case SimdLevel.Vector512: HostRectificationTerms.Run<Simd512, Vector512<float>>(shape, q, dq, kb, dk, vb, p, t, m, verdicts, r, c); break;
            case SimdLevel.Vector256: HostRectificationTerms.Run<Simd256, Vector256<float>>(shape, q, dq, kb, dk, vb, p, t, m, verdicts, r, c); break;
            case SimdLevel.Vector128: HostRectificationTerms.Run<Simd128, Vector128<float>>(shape, q, dq, kb, dk, vb, p, t, m, verdicts, r, c); break;
            default: HostRectificationTerms.Run<SimdScalar, float>(shape, q, dq, kb, dk, vb, p, t, m, verdicts, r, c); break;
        }
    }

    /// <summary>The host address of a view's first element (CPU-accelerator memory is host memory).</summary>
    private static T* Address<T>(ArrayView<T> view) where T : unmanaged => (T*)view.Handle + view.Offset;

    private static void RequireElement<T>() where T : unmanaged
    {
        if (!ElementRows.IsSupported<T>())
            throw new NotSupportedException($"CPU estimation supports float, Half and BFloat16 elements, not {typeof(T).Name}.");
    }
}
