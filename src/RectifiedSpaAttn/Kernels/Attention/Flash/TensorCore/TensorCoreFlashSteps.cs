using RectifiedSpaAttn.Compute;
using RectifiedSpaAttn.Numerics;

namespace RectifiedSpaAttn.Kernels.Attention.Flash.TensorCore;

/// <summary>
/// Host-side launchers of the tensor-core flash-attention kernels (<see cref="TensorCoreFlashKernels"/>), with the
/// same contract as <see cref="FlashSteps"/>'s dense and sparse attention. Built for 16-bit element types (Half,
/// BFloat16: the mma operand types), head dims 64 and 128, and query and key block sizes 64 and 128; fp32 inputs and
/// other shapes keep using the SIMT kernels. The query tile is the query block (64 or 128 rows; 2 or 4 warps at D = 64,
/// 4 or 8 at D = 128). Tuning knobs, each defaulting to the behaviour above: the query tile, the rows per warp
/// (16 doubles the warps; 32 at D = 128 halves them and keeps Q in shared memory), and the K/V pipeline depth (2 stages: one barrier per key tile, twice the shared memory).
/// </summary>
internal static class TensorCoreFlashSteps
{
    /// <summary>Query and key block sizes the kernels take (runtime values: the tile is the query block, 64 or 128 rows).</summary>
    private static readonly int[] s_blockSizes = [64, 128];

    /// <summary>
    /// Whether a variant is built for this combination with the default rows per warp (the API checks before launching
    /// and lists what is built): element types and head dims come from the generated variant lists of both kernels.
    /// </summary>
    public static bool IsSupported(Type elementType, int headDim, int queryBlockSize, int keyBlockSize) =>
        s_blockSizes.Contains(queryBlockSize) && s_blockSizes.Contains(keyBlockSize)
        && TensorCoreFlashKernels.DenseKernel.TryGetVariant(elementType, headDim, TensorCoreFlashKernels.DefaultWarpRows(headDim), out _)
        && TensorCoreFlashKernels.SparseKernel.TryGetVariant(elementType, headDim, TensorCoreFlashKernels.DefaultWarpRows(headDim), out _);

    /// <summary>A human-readable list of the built combinations, for error messages.</summary>
    public static string DescribeSupported() =>
        FlashArguments.DescribeBuilt(TensorCoreFlashKernels.DenseKernel.Variants)
        + $"; query and key block sizes {string.Join(", ", s_blockSizes)}";

    /// <summary>
    /// Dense attention for query rows <c>[queryStart, queryStart + queryCount)</c> of every (b, h): softmax(q.k / sqrt(D))
    /// over every valid key <c>[0, shape.ValidKeys)</c> times v, fp32 accumulation; rows <c>&gt;= shape.ValidKeys</c>
    /// (invalid text slots) are written as zeros. Rows outside the range are not touched.
    /// </summary>
    /// <param name="launcher">The accelerator or stream to launch on.</param>
    /// <param name="shape">The sizes; see <see cref="IsSupported"/>.</param>
    /// <param name="q">Q, <c>[B, H, S, D]</c>.</param>
    /// <param name="k">K, same shape.</param>
    /// <param name="v">V, same shape.</param>
    /// <param name="output">O, same shape; only the rows of the range are written.</param>
    /// <param name="queryStart">First query row.</param>
    /// <param name="queryCount">Query rows.</param>
    /// <param name="tileRows">Query rows per group, 64 or 128; by default the query block size (a tuning knob: fewer rows
    /// per group trade K/V reuse for more groups per multiprocessor).</param>
    /// <param name="warpRows">Query rows per warp, 16 or 32; by default 32 at D = 64 and 16 at D = 128. A tuning knob: 16
    /// gives twice the warps per group, each with about half the registers, at the cost of reading every K/V fragment
    /// from shared memory for half as many mma; 32 at D = 128 keeps Q in shared memory (its fragments would not fit the
    /// registers beside the accumulators), adding <c>tileRows * D</c> elements of shared memory.</param>
    /// <param name="stages">K/V pipeline depth, 1 or 2 (a tuning knob): 1 keeps one K and one V buffer (two barriers per
    /// key tile); 2 a ring of two, so the next tile's copies overlap the whole current tile (one barrier per key tile,
    /// twice the shared memory: 32 KiB at D = 64, 64 KiB at D = 128).</param>
    public static void DenseAttention<T>(IKernelLauncher launcher, AttentionShape shape, ArrayView<T> q, ArrayView<T> k,
        ArrayView<T> v, ArrayView<T> output, int queryStart, int queryCount, int? tileRows = null, int? warpRows = null,
        int stages = 1) where T : unmanaged
    {
        ArgumentNullException.ThrowIfNull(launcher);
        RequireSupported<T>(shape);
        bool any = FlashArguments.Dense(shape, q, k, v, output, queryStart, queryCount);
        RequireAligned(q, k, v);
        if (!any) return;

        int rows = RequireTileRows(tileRows ?? shape.QueryBlockSize, 128);
        int perWarp = RequireWarpRows(warpRows, shape.HeadDim);
        RequireStages(stages);
        int tiles = (queryCount + rows - 1) / rows;
        var dims = new LaunchDimensions(new Dim3(tiles, shape.HeadCount), TensorCoreFlashKernels.GroupSize(rows, perWarp),
            TensorCoreFlashKernels.DynamicSharedBytes(shape.HeadDim, stages, rows, perWarp));
        TensorCoreFlashKernels.DenseKernel.Launch(launcher, dims, q, k, v, output, queryStart, queryStart + queryCount,
            FlashSizes.Of(shape), rows, stages, shape.HeadDim, perWarp);
    }

    /// <summary>
    /// Block-sparse attention for every visual query row: a token of query block i attends, by one online softmax, to the
    /// tokens of key blocks <c>lists[b, h, i, 0..counts[b, h, i])</c> and to every valid text key
    /// <c>[VisualTokens, ValidKeys)</c>, fp32 accumulation; a row with nothing to attend gets <c>Os = 0</c>. When
    /// <paramref name="rectify"/>, <c>O = rectification[b, h, i] * Os + compensation[b, h, i, :]</c>, else <c>O = Os</c>.
    /// Text rows are untouched. List entries outside <c>[0, nK)</c> are skipped and counts are clamped to <c>[0, nK]</c>.
    /// </summary>
    /// <param name="launcher">The accelerator or stream to launch on.</param>
    /// <param name="shape">The sizes; see <see cref="IsSupported"/>.</param>
    /// <param name="q">Q, <c>[B, H, S, D]</c>.</param>
    /// <param name="k">K, same shape.</param>
    /// <param name="v">V, same shape.</param>
    /// <param name="counts"><c>[B, H, nQ]</c>: how many entries of each list are used.</param>
    /// <param name="lists"><c>[B, H, nQ, nK]</c>: critical key blocks per query block.</param>
    /// <param name="rectification"><c>R</c>, <c>[B, H, nQ]</c> (not read when <paramref name="rectify"/> is false).</param>
    /// <param name="compensation"><c>C</c>, <c>[B, H, nQ, D]</c> (not read when <paramref name="rectify"/> is false).</param>
    /// <param name="rectify">Whether to apply the fused rectification epilogue.</param>
    /// <param name="output">O, <c>[B, H, S, D]</c>; only the visual rows are written.</param>
    /// <param name="tileRows">Query rows per group, 64 or 128 and at most the query block size; by default the query
    /// block (a tuning knob: 64 splits a block of 128 over two groups, each streaming the block's keys).</param>
    /// <param name="warpRows">Query rows per warp, 16 or 32; by default 32 at D = 64 and 16 at D = 128. A tuning knob: 16
    /// gives twice the warps per group, each with about half the registers, at the cost of reading every K/V fragment
    /// from shared memory for half as many mma; 32 at D = 128 keeps Q in shared memory (its fragments would not fit the
    /// registers beside the accumulators), adding <c>tileRows * D</c> elements of shared memory.</param>
    /// <param name="stages">K/V pipeline depth, 1 or 2 (a tuning knob): 1 keeps one K and one V buffer (two barriers per
    /// key tile); 2 a ring of two, so the next tile's copies overlap the whole current tile (one barrier per key tile,
    /// twice the shared memory: 32 KiB at D = 64, 64 KiB at D = 128).</param>
    public static void SparseAttention<T>(IKernelLauncher launcher, AttentionShape shape, ArrayView<T> q, ArrayView<T> k,
        ArrayView<T> v, ArrayView<int> counts, ArrayView<int> lists, ArrayView<float> rectification,
        ArrayView<float> compensation, bool rectify, ArrayView<T> output, int? tileRows = null, int? warpRows = null,
        int stages = 1) where T : unmanaged
    {
        ArgumentNullException.ThrowIfNull(launcher);
        RequireSupported<T>(shape);
        bool any = FlashArguments.Sparse(shape, q, k, v, counts, lists, rectification, compensation, rectify, output);
        RequireAligned(q, k, v);
        // The knobs are checked before the early return, so a bad value fails on every shape.
        int rows = RequireTileRows(tileRows ?? shape.QueryBlockSize, shape.QueryBlockSize);
        int perWarp = RequireWarpRows(warpRows, shape.HeadDim);
        RequireStages(stages);
        if (!any) return;

        // By default the tile is the whole query block: a block's rows share every K/V tile they stage.
        int tilesPerBlock = shape.QueryBlockSize / rows;
        var dims = new LaunchDimensions(new Dim3(checked(shape.QueryBlocks * tilesPerBlock), shape.HeadCount),
            TensorCoreFlashKernels.GroupSize(rows, perWarp), TensorCoreFlashKernels.DynamicSharedBytes(shape.HeadDim, stages, rows, perWarp));
        TensorCoreFlashKernels.SparseKernel.Launch(launcher, dims, q, k, v, counts, lists, rectification, compensation, output,
            FlashSizes.Of(shape), FlashBlocks.Of(shape, tilesPerBlock), rectify ? 1 : 0, rows, stages, shape.HeadDim, perWarp);
    }

    /// <summary>The tile must be 64 or 128 rows and at most <paramref name="most"/> (the query block, for sparse: 64 and 128 divide it).</summary>
    private static int RequireTileRows(int rows, int most)
    {
        if ((rows != 64 && rows != 128) || rows > most)
            throw new ArgumentOutOfRangeException(nameof(rows), rows, $"The query tile must be 64 or 128 rows and at most {most}.");
        return rows;
    }

    /// <summary>Rows per warp: 16 or 32; null is the default for the head dim.</summary>
    private static int RequireWarpRows(int? warpRows, int headDim)
    {
        int rows = warpRows ?? TensorCoreFlashKernels.DefaultWarpRows(headDim);
        if (rows != 16 && rows != 32)
            throw new ArgumentOutOfRangeException(nameof(warpRows), rows, "Rows per warp must be 16 or 32.");
        return rows;
    }

    /// <summary>The K/V pipeline has 1 or 2 stages.</summary>
    private static void RequireStages(int stages)
    {
        if (stages != 1 && stages != 2)
            throw new ArgumentOutOfRangeException(nameof(stages), stages, "The K/V pipeline has 1 or 2 stages.");
    }

    private static void RequireSupported<T>(AttentionShape shape) where T : unmanaged =>
        FlashArguments.RequireSupported<T>(IsSupported(typeof(T), shape.HeadDim, shape.QueryBlockSize, shape.KeyBlockSize),
            "tensor-core flash-attention", shape, DescribeSupported());

    private static void RequireAligned<T>(ArrayView<T> q, ArrayView<T> k, ArrayView<T> v) where T : unmanaged
    {
        RequireAligned(q, nameof(q));
        RequireAligned(k, nameof(k));
        RequireAligned(v, nameof(v));
    }

    /// <summary>Q, K and V rows are fetched by 16-byte cp.async, which needs the view to start on a 16-byte boundary.</summary>
    private static void RequireAligned<T>(ArrayView<T> view, string name) where T : unmanaged
    {
        if (view.Offset % 8 != 0)
            throw new ArgumentException($"{name} starts at element {view.Offset}; the tensor-core kernels need a multiple of 8 (16 bytes).", name);
    }
}
