using RectifiedSpaAttn.Compute;
using RectifiedSpaAttn.Numerics;

namespace RectifiedSpaAttn.Kernels.Attention.Flash;

/// <summary>
/// Host-side launchers of the SIMT flash-attention kernels (<see cref="FlashAttentionKernels"/>): argument checks, launch
/// shapes and the folded softmax scale. Built for element types float, Half and BFloat16 and head dims 64 and 128;
/// block sizes are runtime values, so any positive query and key block sizes work (mixed included).
/// </summary>
internal static class FlashSteps
{
    /// <summary>
    /// Whether a variant is built for this combination (the API checks before launching and lists what is built): the
    /// generated variant lists of both kernels answer, so this follows their <c>[Specialize]</c> attributes.
    /// </summary>
    public static bool IsSupported(Type elementType, int headDim, int queryBlockSize, int keyBlockSize) =>
        queryBlockSize > 0 && keyBlockSize > 0
        && FlashAttentionKernels.DenseKernel.TryGetVariant(elementType, headDim, out _)
        && FlashAttentionKernels.SparseKernel.TryGetVariant(elementType, headDim, out _);

    /// <summary>A human-readable list of the built combinations, for error messages.</summary>
    public static string DescribeSupported() =>
        FlashArguments.DescribeBuilt(FlashAttentionKernels.DenseKernel.Variants) + "; any positive query and key block sizes";

    /// <summary>
    /// Dense attention for query rows <c>[queryStart, queryStart + queryCount)</c> of every (b, h): softmax(q.k / sqrt(D))
    /// over every valid key <c>[0, shape.ValidKeys)</c> times v, fp32 accumulation; rows <c>&gt;= shape.ValidKeys</c>
    /// (invalid text slots) are written as zeros. Rows outside the range are not touched.
    /// </summary>
    public static void DenseAttention<T>(IKernelLauncher launcher, AttentionShape shape, ArrayView<T> q, ArrayView<T> k,
        ArrayView<T> v, ArrayView<T> output, int queryStart, int queryCount) where T : unmanaged
    {
        ArgumentNullException.ThrowIfNull(launcher);
        RequireSupported<T>(shape);
        if (!FlashArguments.Dense(shape, q, k, v, output, queryStart, queryCount)) return;

        int tiles = (queryCount + FlashAttentionKernels.TileRows - 1) / FlashAttentionKernels.TileRows;
        var dims = new LaunchDimensions(new Dim3(tiles, shape.HeadCount), FlashAttentionKernels.GroupSize(shape.HeadDim));
        FlashAttentionKernels.DenseKernel.Launch(launcher, dims, q, k, v, output, FlashSizes.Of(shape), queryStart,
            queryStart + queryCount, shape.HeadDim);
    }

    /// <summary>
    /// Block-sparse attention for every visual query row: a token of query block i attends, by one online softmax, to the
    /// tokens of key blocks <c>lists[b, h, i, 0..counts[b, h, i])</c> and to every valid text key
    /// <c>[VisualTokens, ValidKeys)</c>, fp32 accumulation; a row with nothing to attend gets <c>Os = 0</c>. When
    /// <paramref name="rectify"/>, <c>O = rectification[b, h, i] * Os + compensation[b, h, i, :]</c>, else <c>O = Os</c>.
    /// Text rows are untouched. List entries outside <c>[0, nK)</c> are skipped and counts are clamped to <c>[0, nK]</c>.
    /// </summary>
    /// <param name="launcher">The accelerator or stream to launch on.</param>
    /// <param name="shape">The sizes; <c>HeadDim</c> must be a built head dim.</param>
    /// <param name="q">Q, <c>[B, H, S, D]</c>.</param>
    /// <param name="k">K, same shape.</param>
    /// <param name="v">V, same shape.</param>
    /// <param name="counts"><c>[B, H, nQ]</c>: how many entries of each list are used.</param>
    /// <param name="lists"><c>[B, H, nQ, nK]</c>: critical key blocks per query block, distinct, in any order (a block listed twice
    /// would be attended twice).</param>
    /// <param name="rectification"><c>R</c>, <c>[B, H, nQ]</c> (not read when <paramref name="rectify"/> is false).</param>
    /// <param name="compensation"><c>C</c>, <c>[B, H, nQ, D]</c> (not read when <paramref name="rectify"/> is false).</param>
    /// <param name="rectify">Whether to apply the fused rectification epilogue.</param>
    /// <param name="output">O, <c>[B, H, S, D]</c>; only the visual rows are written.</param>
    public static void SparseAttention<T>(IKernelLauncher launcher, AttentionShape shape, ArrayView<T> q, ArrayView<T> k,
        ArrayView<T> v, ArrayView<int> counts, ArrayView<int> lists, ArrayView<float> rectification,
        ArrayView<float> compensation, bool rectify, ArrayView<T> output) where T : unmanaged
    {
        ArgumentNullException.ThrowIfNull(launcher);
        RequireSupported<T>(shape);
        if (!FlashArguments.Sparse(shape, q, k, v, counts, lists, rectification, compensation, rectify, output)) return;

        int tilesPerBlock = FlashAttentionKernels.TilesPerBlock(shape.QueryBlockSize);
        var dims = new LaunchDimensions(new Dim3(checked(shape.QueryBlocks * tilesPerBlock), shape.HeadCount),
            FlashAttentionKernels.GroupSize(shape.HeadDim));
        FlashAttentionKernels.SparseKernel.Launch(launcher, dims, q, k, v, counts, lists, rectification, compensation, output,
            FlashSizes.Of(shape), FlashBlocks.Of(shape, tilesPerBlock), rectify ? 1 : 0, shape.HeadDim);
    }

    private static void RequireSupported<T>(AttentionShape shape) where T : unmanaged =>
        FlashArguments.RequireSupported<T>(IsSupported(typeof(T), shape.HeadDim, shape.QueryBlockSize, shape.KeyBlockSize),
            "flash-attention", shape, DescribeSupported());
}
