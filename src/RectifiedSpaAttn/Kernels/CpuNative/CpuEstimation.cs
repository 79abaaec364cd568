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

    /// <summary>Steps 2-4 (logits, softmax, IPAR); see <see cref="EstimationSteps.PooledMasses"/>.</summary>
    public static void PooledMasses<T>(AttentionShape shape, ArrayView<float> queryMeans, ArrayView<float> keyMeans, ArrayView<T> k,
        ArrayView<float> blockMass, ArrayView<float> textMass) where T : unmanaged
        => PooledMasses(shape, queryMeans, keyMeans, k, blockMass, textMass, SimdLevels.Best);

    /// <summary>Step 5; see <see cref="EstimationSteps.SelectCriticalBlocks"/>. Masses must be non-negative, as for the kernel.</summary>
    public static void SelectCriticalBlocks(AttentionShape shape, ArrayView<float> blockMass, ArrayView<float> textMass, float tau,
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
        if (rows * nK == 0) return;
        HostCriticalBlocks.Select(shape, Address(blockMass), Address(textMass), tau, minCriticalBlocks, firstFrameBlocks,
            hasNeighborMask ? Address(neighborMask) : null, Address(mask));
    }

    /// <summary>The compact per-row lists; see <see cref="EstimationSteps.CompactCriticalBlocks"/>.</summary>
    public static void CompactCriticalBlocks(AttentionShape shape, ArrayView<byte> mask, ArrayView<int> counts, ArrayView<int> lists)
    {
        EstimationSteps.RequireShape(shape);
        int nK = shape.KeyBlocks;
        long rows = (long)shape.HeadCount * shape.QueryBlocks;
        StepArguments.RequireElements(mask, rows * nK, nameof(mask), "[B, H, nQ, nK]");
        StepArguments.RequireElements(counts, rows, nameof(counts), "[B, H, nQ]");
        StepArguments.RequireElements(lists, rows * nK, nameof(lists), "[B, H, nQ, nK]");
        if (rows == 0) return;
        HostCriticalBlocks.Compact((int)rows, nK, Address(mask), Address(counts), Address(lists));
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
        EstimationSteps.RequireShape(shape);
        if (blockSize < 1) throw new ArgumentOutOfRangeException(nameof(blockSize), blockSize, "The block size must be at least 1.");
        int blocks = (shape.VisualTokens + blockSize - 1) / blockSize;
        long outputs = (long)shape.HeadCount * blocks * shape.HeadDim;
        StepArguments.RequireElements(x, shape.TokenElements, nameof(x), "[B, H, S, D]");
        StepArguments.RequireElements(means, outputs, nameof(means), "[B, H, nBlocks, D]");
        if (computeDeviations) StepArguments.RequireElements(deviations, outputs, nameof(deviations), "[B, H, nBlocks, D]");
        if (outputs == 0) return;
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
        EstimationSteps.RequireShape(shape);
        int nQ = shape.QueryBlocks, nK = shape.KeyBlocks;
        StepArguments.RequireElements(queryMeans, (long)shape.HeadCount * nQ * shape.HeadDim, nameof(queryMeans), "[B, H, nQ, D]");
        StepArguments.RequireElements(keyMeans, (long)shape.HeadCount * nK * shape.HeadDim, nameof(keyMeans), "[B, H, nK, D]");
        StepArguments.RequireElements(k, shape.TokenElements, nameof(k), "[B, H, S, D]");
        StepArguments.RequireElements(blockMass, (long)shape.HeadCount * nQ * nK, nameof(blockMass), "[B, H, nQ, nK]");
        StepArguments.RequireElements(textMass, (long)shape.HeadCount * nQ, nameof(textMass), "[B, H, nQ]");
        if ((long)shape.HeadCount * nQ == 0) return;
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
        if (rows == 0) return;
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
