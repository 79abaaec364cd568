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
    /// Threads per group of the per-row kernels: one per column of a shared tile (<see cref="ColumnTiles.Columns"/>), a power
    /// of two, at most <see cref="GroupReductions.MaxGroupSize"/>.
    /// </summary>
    public const int RowGroupSize = ColumnTiles.Columns;

    /// <summary>
    /// The most dynamic shared memory a launch here asks for. With the static tile (about 17 KB) and reduction scratch
    /// (1 KB) it stays under the 48 KB every CUDA device and OpenCL implementation offers without opting in. It covers
    /// rows of about 6000 columns: S_vis beyond 700k tokens with 128-token blocks.
    /// </summary>
    public const int MaxDynamicSharedBytes = 24 * 1024;

    /// <summary>
    /// The selection kernel's limit (it has only the 1 KB reduction scratch besides): rows of up to 4096 entries after
    /// rounding up to a power of two, i.e. nK up to 4095.
    /// </summary>
    public const int MaxSelectionSharedBytes = 32 * 1024;

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
        // One thread per feature up to a full group; wider heads stride.
        int group = Math.Min(256, (shape.HeadDim + 31) / 32 * 32);
        BlockPoolingKernels.PoolBlocksKernel.Launch(launcher, new LaunchDimensions(new Dim3(blocks, shape.HeadCount), group),
            x, means, deviations, shape.SequenceLength, shape.VisualTokens, shape.HeadDim, blockSize, computeDeviations ? 1 : 0);
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
        int nQ = shape.QueryBlocks, nK = shape.KeyBlocks;
        int shared = SharedBytes((long)shape.HeadDim + nK + shape.ValidTextTokens, "PooledMasses (D + nK + valid text keys floats)");
        float scale = (float)(1.0 / Math.Sqrt(shape.HeadDim));
        PooledMassKernels.PooledMassesKernel.Launch(launcher, new LaunchDimensions(new Dim3(nQ, shape.HeadCount), RowGroupSize, shared),
            queryMeans, keyMeans, k, blockMass, textMass,
            shape.SequenceLength, shape.VisualTokens, shape.ValidTextTokens, shape.HeadDim, shape.KeyBlockSize, scale);
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
        int nQ = shape.QueryBlocks, nK = shape.KeyBlocks;
        int hasText = shape.ValidTextTokens > 0 ? 1 : 0;
        int padded = 1;
        while (padded < nK + hasText) padded <<= 1;
        // This kernel has no static tile, so its rows may use more dynamic shared memory than the others'.
        int shared = SharedBytes(2L * padded, "SelectCriticalBlocks (2 * (nK + 1) floats, rounded up to a power of two)", MaxSelectionSharedBytes);
        CriticalSelectionKernels.SelectCriticalBlocksKernel.Launch(launcher, new LaunchDimensions(new Dim3(nQ, shape.HeadCount), RowGroupSize, shared),
            blockMass, textMass, neighborMask, mask, nK, hasText, padded, tau, minCriticalBlocks, firstFrameBlocks, hasNeighborMask ? 1 : 0);
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
        int nK = shape.KeyBlocks;
        long rows = (long)shape.HeadCount * shape.QueryBlocks;
        const int group = 128;
        CriticalListKernels.CompactCriticalBlocksKernel.Launch(launcher, new LaunchDimensions((int)((rows + group - 1) / group), group),
            mask, counts, lists, nK, (int)rows);
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
        int nQ = shape.QueryBlocks, nK = shape.KeyBlocks, dim = shape.HeadDim;
        int shared = SharedBytes(2L * dim + nK, "RectificationTerms (2 * D + nK floats)");
        RectificationTermKernels.RectificationTermsKernel.Launch(launcher, new LaunchDimensions(new Dim3(nQ, shape.HeadCount), RowGroupSize, shared),
            queryMeans, queryDeviations, keyMeans, keyDeviations, valueMeans, blockMass, textMass, mask, compensable,
            rectification, compensation, nK, dim);
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
