using RectifiedSpaAttn.Compute;

namespace RectifiedSpaAttn.Kernels.Attention.Estimation;

/// <summary>
/// Launches the estimation kernels of Rectified SpaAttn (spec steps 1-6 and the terms of step 8) with the sizes of an
/// <see cref="AttentionShape"/>. Every buffer is row-major with <c>[B, H]</c> leading; statistics are fp32 whatever the
/// element type of Q, K, V. Each method checks its views are long enough and launches nothing for empty shapes.
/// </summary>
internal static class EstimationSteps
{
    /// <summary>
    /// Threads per group of the per-row kernel (<see cref="RowStepKernels"/>): a power of two, at most
    /// <see cref="GroupReductions.MaxGroupSize"/>. The host reproduces its summation order (<c>CpuNative.KernelOrder</c>).
    /// </summary>
    public const int RowGroupSize = 128;

    /// <summary>
    /// The most dynamic shared memory the per-row kernel asks for. With its 1 KB of reduction scratch it stays under the
    /// 48 KB every CUDA device and OpenCL implementation offers without opting in. It covers rows of up to 4096 entries
    /// after rounding up to a power of two (nK up to 4095) with the masses' columns and qbar beside them.
    /// </summary>
    public const int MaxDynamicSharedBytes = 46 * 1024;

    /// <summary>
    /// Step 1 (+ GAPR deviations): for every (b, h) and block j of <paramref name="blockSize"/> consecutive visual tokens
    /// (the last block partial, statistics over its valid tokens only), means[b, h, j, :] and, when
    /// <paramref name="computeDeviations"/>, deviations[b, h, j, :] = mean over the block's tokens of |x_t - mean|.
    /// </summary>
    /// <param name="launcher">The accelerator or stream.</param>
    /// <param name="shape">The sizes (only B, H, S, D and the visual token count are used).</param>
    /// <param name="x">Q, K or V, <c>[B, H, S, D]</c>.</param>
    /// <param name="blockSize">Tokens per block (at least 1).</param>
    /// <param name="means">fp32 <c>[B, H, ceil(S_vis / blockSize), D]</c>.</param>
    /// <param name="deviations">Same shape; not touched unless <paramref name="computeDeviations"/>.</param>
    /// <param name="computeDeviations">Whether to compute the mean absolute deviations.</param>
    public static void PoolBlocks<T>(IKernelLauncher launcher, AttentionShape shape, ArrayView<T> x, int blockSize,
        ArrayView<float> means, ArrayView<float> deviations, bool computeDeviations) where T : unmanaged
    {
        ArgumentNullException.ThrowIfNull(launcher);
        if (!EstimationArguments.PoolBlocks(shape, x, blockSize, means, deviations, computeDeviations)) return;
        int blocks = (shape.VisualTokens + blockSize - 1) / blockSize;
        // The three-input kernel with one input: grid z = 0 pools x as "q" with this block size.
        BlockPoolingKernels.PoolInputsKernel.Launch(launcher, new LaunchDimensions(new Dim3(blocks, shape.HeadCount, 1), BlockPoolingKernels.GroupSize),
            x, x, x, means, deviations, means, deviations, means, shape.SequenceLength, shape.VisualTokens, shape.HeadDim, blockSize, blockSize,
            computeDeviations ? 1 : 0);
    }

    /// <summary>
    /// Step 1 for Q, K and (when <paramref name="rectify"/>) V in one launch: query-block means of Q, key-block means of K
    /// and V, and, when <paramref name="rectify"/>, the deviations of Q and K (as <see cref="PoolBlocks"/> computes each).
    /// </summary>
    /// <param name="launcher">The accelerator or stream.</param>
    /// <param name="shape">The sizes.</param>
    /// <param name="q">Q, <c>[B, H, S, D]</c>.</param>
    /// <param name="k">K.</param>
    /// <param name="v">V (read only when <paramref name="rectify"/>).</param>
    /// <param name="queryMeans"><c>qbar</c>, fp32 <c>[B, H, nQ, D]</c>.</param>
    /// <param name="queryDeviations"><c>dq</c>, same shape (written only when <paramref name="rectify"/>).</param>
    /// <param name="keyMeans"><c>kbar</c>, fp32 <c>[B, H, nK, D]</c>.</param>
    /// <param name="keyDeviations"><c>dk</c>, same shape (written only when <paramref name="rectify"/>).</param>
    /// <param name="valueMeans"><c>vbar</c>, same shape (written only when <paramref name="rectify"/>).</param>
    /// <param name="rectify">Whether to pool V and compute the deviations.</param>
    public static void PoolInputs<T>(IKernelLauncher launcher, AttentionShape shape, ArrayView<T> q, ArrayView<T> k, ArrayView<T> v,
        ArrayView<float> queryMeans, ArrayView<float> queryDeviations, ArrayView<float> keyMeans, ArrayView<float> keyDeviations,
        ArrayView<float> valueMeans, bool rectify) where T : unmanaged
    {
        ArgumentNullException.ThrowIfNull(launcher);
        if (!EstimationArguments.PoolBlocks(shape, q, shape.QueryBlockSize, queryMeans, queryDeviations, rectify)) return;
        EstimationArguments.PoolBlocks(shape, k, shape.KeyBlockSize, keyMeans, keyDeviations, rectify);
        if (rectify) EstimationArguments.PoolBlocks(shape, v, shape.KeyBlockSize, valueMeans, valueMeans, false);
        int blocks = Math.Max(shape.QueryBlocks, shape.KeyBlocks);
        BlockPoolingKernels.PoolInputsKernel.Launch(launcher, new LaunchDimensions(new Dim3(blocks, shape.HeadCount, rectify ? 3 : 2), BlockPoolingKernels.GroupSize),
            q, k, v, queryMeans, queryDeviations, keyMeans, keyDeviations, valueMeans, shape.SequenceLength, shape.VisualTokens, shape.HeadDim,
            shape.QueryBlockSize, shape.KeyBlockSize, rectify ? 1 : 0);
    }

    /// <summary>
    /// Steps 2-4: pooled logits <c>a_ij = qbar_i . kbar_j / sqrt(D)</c> and, for every valid text key
    /// (tokens <c>[VisualTokens, ValidKeys)</c> of <paramref name="k"/>), <c>a_it = qbar_i . k_t / sqrt(D)</c>; the row
    /// softmax; IPAR. Writes blockMass <c>P</c> <c>[B, H, nQ, nK]</c> and textMass <c>T</c> <c>[B, H, nQ]</c> (0 without text).
    /// </summary>
    /// <param name="launcher">The accelerator or stream.</param>
    /// <param name="shape">The sizes.</param>
    /// <param name="queryMeans"><c>qbar</c>, fp32 <c>[B, H, nQ, D]</c>.</param>
    /// <param name="keyMeans"><c>kbar</c>, fp32 <c>[B, H, nK, D]</c>.</param>
    /// <param name="k">K, <c>[B, H, S, D]</c> (only the valid text keys are read).</param>
    /// <param name="blockMass"><c>P</c>, fp32 <c>[B, H, nQ, nK]</c>.</param>
    /// <param name="textMass"><c>T</c>, fp32 <c>[B, H, nQ]</c>.</param>
    public static void PooledMasses<T>(IKernelLauncher launcher, AttentionShape shape, ArrayView<float> queryMeans,
        ArrayView<float> keyMeans, ArrayView<T> k, ArrayView<float> blockMass, ArrayView<float> textMass) where T : unmanaged
    {
        ArgumentNullException.ThrowIfNull(launcher);
        if (!EstimationArguments.PooledMasses(shape, queryMeans, keyMeans, k, blockMass, textMass)) return;
        // The logits go to blockMass first; the row kernel turns them into masses in place.
        PooledProducts(launcher, shape, queryMeans, queryMeans, keyMeans, keyMeans, blockMass, default, writeLogits: true, gapr: false);
        EstimateRows(launcher, shape, queryMeans, k, blockMass, textMass, RowWork.Masses, default, default, default, default);
    }

    /// <summary>
    /// Step 5: the prefix-sum rule with <paramref name="tau"/> and <paramref name="minCriticalBlocks"/> over each row's
    /// block masses plus, when <see cref="AttentionShape.ValidTextTokens"/> &gt; 0, the text entry at index nK (ties to the
    /// lower index; <paramref name="tau"/> &gt;= 1 keeps the whole row); then neighbours and first-frame blocks.
    /// mask <c>[B, H, nQ, nK]</c> receives 1 for critical blocks, 0 otherwise.
    /// </summary>
    /// <param name="launcher">The accelerator or stream.</param>
    /// <param name="shape">The sizes.</param>
    /// <param name="blockMass"><c>P</c>, fp32 <c>[B, H, nQ, nK]</c>.</param>
    /// <param name="textMass"><c>T</c>, fp32 <c>[B, H, nQ]</c>.</param>
    /// <param name="tau">The keep threshold (non-negative).</param>
    /// <param name="minCriticalBlocks"><c>k_min</c> (non-negative; the text entry counts like any entry).</param>
    /// <param name="firstFrameBlocks"><c>F</c>: blocks j &lt; F are critical for rows i &lt; F (0 for none).</param>
    /// <param name="neighborMask">Bytes <c>[nQ, nK]</c>, non-zero for neighbours; read only when <paramref name="hasNeighborMask"/>.</param>
    /// <param name="hasNeighborMask">Whether <paramref name="neighborMask"/> holds a mask.</param>
    /// <param name="mask">Bytes <c>[B, H, nQ, nK]</c>.</param>
    public static void SelectCriticalBlocks(IKernelLauncher launcher, AttentionShape shape, ArrayView<float> blockMass,
        ArrayView<float> textMass, float tau, int minCriticalBlocks, int firstFrameBlocks, ArrayView<byte> neighborMask,
        bool hasNeighborMask, ArrayView<byte> mask)
    {
        ArgumentNullException.ThrowIfNull(launcher);
        if (!EstimationArguments.SelectCriticalBlocks(shape, blockMass, textMass, tau, minCriticalBlocks, firstFrameBlocks, neighborMask, hasNeighborMask, mask)) return;
        EstimateRows(launcher, shape, default(ArrayView<float>), default(ArrayView<float>), blockMass, textMass, RowWork.Select,
            new SelectionRule(tau, minCriticalBlocks, firstFrameBlocks, neighborMask, hasNeighborMask), mask, default, default);
    }

    /// <summary>
    /// The compact per-row list of critical key blocks (for selected and caller-supplied masks): counts <c>[B, H, nQ]</c>;
    /// lists <c>[B, H, nQ, nK]</c> whose first counts[row] entries are the critical block indices in ascending order
    /// (the rest of each row is -1).
    /// </summary>
    /// <param name="launcher">The accelerator or stream.</param>
    /// <param name="shape">The sizes.</param>
    /// <param name="mask">Bytes <c>[B, H, nQ, nK]</c>, non-zero for critical.</param>
    /// <param name="counts"><c>[B, H, nQ]</c>.</param>
    /// <param name="lists"><c>[B, H, nQ, nK]</c>.</param>
    public static void CompactCriticalBlocks(IKernelLauncher launcher, AttentionShape shape, ArrayView<byte> mask,
        ArrayView<int> counts, ArrayView<int> lists)
    {
        ArgumentNullException.ThrowIfNull(launcher);
        if (!EstimationArguments.CompactCriticalBlocks(shape, mask, counts, lists)) return;
        EstimateRows(launcher, shape, default(ArrayView<float>), default(ArrayView<float>), default, default, RowWork.Compact, default, mask, counts, lists);
    }

    /// <summary>
    /// Step 6 and step 8's terms: compensable <c>[B, H, nQ, nK]</c> (1 when |qbar.kbar| &gt; |dq.kbar| + |qbar.dk|); then,
    /// with <c>Pi_i</c> = blocks critical in <paramref name="mask"/> or not compensable,
    /// R <c>[B, H, nQ]</c> = sum over Pi_i of P_ij + T_i and C <c>[B, H, nQ, D]</c> = sum over the other blocks of P_ij vbar_j.
    /// </summary>
    /// <param name="launcher">The accelerator or stream.</param>
    /// <param name="shape">The sizes.</param>
    /// <param name="queryMeans"><c>qbar</c>, fp32 <c>[B, H, nQ, D]</c>.</param>
    /// <param name="queryDeviations"><c>dq</c>, fp32 <c>[B, H, nQ, D]</c>.</param>
    /// <param name="keyMeans"><c>kbar</c>, fp32 <c>[B, H, nK, D]</c>.</param>
    /// <param name="keyDeviations"><c>dk</c>, fp32 <c>[B, H, nK, D]</c>.</param>
    /// <param name="valueMeans"><c>vbar</c>, fp32 <c>[B, H, nK, D]</c>.</param>
    /// <param name="blockMass"><c>P</c>, fp32 <c>[B, H, nQ, nK]</c>.</param>
    /// <param name="textMass"><c>T</c>, fp32 <c>[B, H, nQ]</c>.</param>
    /// <param name="mask">Critical blocks, bytes <c>[B, H, nQ, nK]</c>.</param>
    /// <param name="compensable">Receives GAPR's verdict, bytes <c>[B, H, nQ, nK]</c>.</param>
    /// <param name="rectification"><c>R</c>, fp32 <c>[B, H, nQ]</c>.</param>
    /// <param name="compensation"><c>C</c>, fp32 <c>[B, H, nQ, D]</c>.</param>
    public static void RectificationTerms(IKernelLauncher launcher, AttentionShape shape, ArrayView<float> queryMeans,
        ArrayView<float> queryDeviations, ArrayView<float> keyMeans, ArrayView<float> keyDeviations, ArrayView<float> valueMeans,
        ArrayView<float> blockMass, ArrayView<float> textMass, ArrayView<byte> mask, ArrayView<byte> compensable,
        ArrayView<float> rectification, ArrayView<float> compensation)
    {
        ArgumentNullException.ThrowIfNull(launcher);
        if (!EstimationArguments.RectificationTerms(shape, queryMeans, queryDeviations, keyMeans, keyDeviations, valueMeans, blockMass, textMass, mask,
            compensable, rectification, compensation)) return;
        PooledProducts(launcher, shape, queryMeans, queryDeviations, keyMeans, keyDeviations, blockMass, compensable, writeLogits: false, gapr: true);
        CompensationTerms(launcher, shape, valueMeans, blockMass, textMass, mask, compensable, rectification, compensation);
    }

    /// <summary>
    /// The block-pair products (<see cref="PooledProductKernels"/>): when <paramref name="writeLogits"/>, logits
    /// <c>[B, H, nQ, nK]</c> = qbar.kbar / sqrt(D) (the masses' input, written over blockMass); when <paramref name="gapr"/>,
    /// GAPR's verdicts into compensable. Arguments already checked by the public step that calls it.
    /// </summary>
    internal static void PooledProducts(IKernelLauncher launcher, AttentionShape shape, ArrayView<float> queryMeans, ArrayView<float> queryDeviations,
        ArrayView<float> keyMeans, ArrayView<float> keyDeviations, ArrayView<float> logits, ArrayView<byte> compensable, bool writeLogits, bool gapr)
    {
        int nQ = shape.QueryBlocks, nK = shape.KeyBlocks;
        if ((long)shape.HeadCount * nQ * nK == 0 || !(writeLogits || gapr)) return;
        const int tile = PooledProductKernels.Tile;
        float scale = (float)(1.0 / Math.Sqrt(shape.HeadDim));
        // Views the kernel does not touch in this mode may be empty: give it any valid one.
        if (!gapr) compensable = default;
        PooledProductKernels.PooledProductsKernel.Launch(launcher,
            new LaunchDimensions(new Dim3((nK + tile - 1) / tile, (nQ + tile - 1) / tile, shape.HeadCount), PooledProductKernels.GroupSize),
            queryMeans, queryDeviations, keyMeans, keyDeviations, logits, compensable, nQ, nK, shape.HeadDim, scale, writeLogits ? 1 : 0, gapr ? 1 : 0);
    }

    /// <summary>
    /// The per-row kernel (<see cref="RowStepKernels"/>) doing <paramref name="work"/>: masses from the logits in blockMass
    /// (in place) and textMass; the selection into mask; the compact lists from the selected or the given mask.
    /// </summary>
    internal static void EstimateRows<T>(IKernelLauncher launcher, AttentionShape shape, ArrayView<float> queryMeans, ArrayView<T> k,
        ArrayView<float> blockMass, ArrayView<float> textMass, RowWork work, SelectionRule rule, ArrayView<byte> mask, ArrayView<int> counts,
        ArrayView<int> lists) where T : unmanaged
    {
        int nQ = shape.QueryBlocks, nK = shape.KeyBlocks;
        if ((long)shape.HeadCount * nQ == 0 || nK == 0) return;
        bool masses = work.HasFlag(RowWork.Masses), select = work.HasFlag(RowWork.Select), compact = work.HasFlag(RowWork.Compact);
        int hasText = shape.ValidTextTokens > 0 ? 1 : 0;
        int padded = 1;
        while (padded < nK + hasText) padded <<= 1;
        long floats = (select ? 2L * padded : 0) + (masses ? (long)shape.HeadDim + nK + shape.ValidTextTokens : 0);
        int shared = SharedBytes(floats, "EstimateRows (2 * (nK + 1) floats rounded up to a power of two, plus D + nK + valid text keys for the masses)");
        float scale = (float)(1.0 / Math.Sqrt(shape.HeadDim));
        RowStepKernels.EstimateRowsKernel.Launch(launcher, new LaunchDimensions(new Dim3(nQ, shape.HeadCount), RowGroupSize, Math.Max(shared, sizeof(float))),
            queryMeans, k, blockMass, textMass, rule.NeighborMask, mask, counts, lists,
            shape.SequenceLength, shape.VisualTokens, shape.ValidTextTokens, shape.HeadDim, shape.KeyBlockSize, scale,
            select ? padded : 0, rule.Tau, rule.MinCriticalBlocks, rule.FirstFrameBlocks, rule.HasNeighborMask ? 1 : 0,
            (int)work);
    }

    /// <summary>R and C from P, T, the mask and GAPR's verdicts (<see cref="RectificationTermKernels"/>).</summary>
    internal static void CompensationTerms(IKernelLauncher launcher, AttentionShape shape, ArrayView<float> valueMeans, ArrayView<float> blockMass,
        ArrayView<float> textMass, ArrayView<byte> mask, ArrayView<byte> compensable, ArrayView<float> rectification, ArrayView<float> compensation)
    {
        int nQ = shape.QueryBlocks, nK = shape.KeyBlocks, dim = shape.HeadDim;
        if ((long)shape.HeadCount * nQ == 0) return;
        const int tile = RectificationTermKernels.Tile;
        RectificationTermKernels.CompensationTermsKernel.Launch(launcher,
            new LaunchDimensions(new Dim3((dim + tile - 1) / tile, (nQ + tile - 1) / tile, shape.HeadCount), RectificationTermKernels.GroupSize),
            valueMeans, blockMass, textMass, mask, compensable, rectification, compensation, nQ, nK, dim);
    }

    private static int SharedBytes(long floats, string what, int limit = MaxDynamicSharedBytes)
    {
        long bytes = floats * sizeof(float);
        if (bytes > limit)
            throw new ArgumentException($"{what} needs {bytes} bytes of shared memory per group, more than the {limit} this kernel may use; use larger blocks or fewer text tokens.");
        return (int)bytes;
    }

    /// <summary>The shape checks every step makes (shared with the host implementation, <c>CpuNative.CpuEstimation</c>).</summary>
    internal static void RequireShape(AttentionShape shape)
    {
        if (shape.Batch < 0 || shape.Heads < 0 || shape.HeadDim < 1 || shape.SequenceLength < 0)
            throw new ArgumentException($"Invalid attention shape {shape}: B, H, S must be non-negative and D at least 1.", nameof(shape));
        if (shape.TextTokens < 0 || shape.TextTokens > shape.SequenceLength || shape.ValidTextTokens < 0 || shape.ValidTextTokens > shape.TextTokens)
            throw new ArgumentException($"Invalid attention shape {shape}: need 0 <= ValidTextTokens <= TextTokens <= SequenceLength.", nameof(shape));
        if (shape.QueryBlockSize < 1 || shape.KeyBlockSize < 1)
            throw new ArgumentException($"Invalid attention shape {shape}: block sizes must be at least 1.", nameof(shape));
    }
}
