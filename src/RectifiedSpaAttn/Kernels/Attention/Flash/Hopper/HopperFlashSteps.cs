using RectifiedSpaAttn.Compute;
using RectifiedSpaAttn.Compute.Cpu;
using RectifiedSpaAttn.Compute.Cuda;
using RectifiedSpaAttn.Kernels.Attention.Flash.TensorCore;

namespace RectifiedSpaAttn.Kernels.Attention.Flash.Hopper;

/// <summary>
/// Host-side launchers of the Hopper flash-attention kernel (<see cref="HopperFlashKernels"/>), with the contract of
/// <see cref="TensorCoreFlashSteps"/>'s dense and sparse attention: the same argument checks (<see cref="FlashArguments"/>),
/// then tensor maps of Q, K and V for the copy engine, then one launch. Built for Half and BFloat16, head dims 64 and
/// 128, query and key blocks of 64 and 128. Runs on CUDA devices of compute capability 9.0 (the sm_90a module) and on
/// the CPU accelerator, whose emulation of wgmma, mbarrier and the copy engine is exact (for tests).
/// </summary>
internal static class HopperFlashSteps
{
    /// <summary>Query and key block sizes the kernel takes: a query block is one or two consumer warpgroups, a key block one or two segments.</summary>
    private static readonly int[] s_blockSizes = [64, 128];

    /// <summary>Whether a variant is built for this combination (from the kernel's generated variant list).</summary>
    public static bool IsSupported(Type elementType, int headDim, int queryBlockSize, int keyBlockSize) =>
        s_blockSizes.Contains(queryBlockSize) && s_blockSizes.Contains(keyBlockSize)
        && HopperFlashKernels.AttentionKernel.TryGetVariant(elementType, queryBlockSize / HopperFlashKernels.ConsumerRows, headDim, 2, out _);

    /// <summary>A human-readable list of the built combinations, for error messages.</summary>
    public static string DescribeSupported() =>
        FlashArguments.DescribeBuilt(HopperFlashKernels.AttentionKernel.Variants)
        + $"; query and key block sizes {string.Join(", ", s_blockSizes)}";

    /// <summary>
    /// Whether the kernel runs on <paramref name="accelerator"/>: a CUDA device that loads its sm_90a module (compute
    /// capability 9.0), or the CPU accelerator's emulation. Not OpenCL (no copy engine, no wgmma).
    /// </summary>
    public static bool RunsOn(Accelerator accelerator) => accelerator switch
    {
        CudaAccelerator cuda => HopperFlashKernels.AttentionKernel.Variants.All(v => cuda.UnsupportedReason(v) is null),
        CpuAccelerator => true,
        _ => false,
    };

    /// <summary>
    /// Dense attention for query rows <c>[queryStart, queryStart + queryCount)</c> of every (b, h): softmax(q.k / sqrt(D))
    /// over every valid key <c>[0, shape.ValidKeys)</c> times v, fp32 accumulation; rows <c>&gt;= shape.ValidKeys</c>
    /// (invalid text slots) are written as zeros. Rows outside the range are not touched.
    /// </summary>
    /// <param name="launcher">The accelerator or stream to launch on (see <see cref="RunsOn"/>).</param>
    /// <param name="shape">The sizes; see <see cref="IsSupported"/>.</param>
    /// <param name="q">Q, <c>[B, H, S, D]</c>, starting on a 16-byte boundary (as K and V).</param>
    /// <param name="k">K, same shape.</param>
    /// <param name="v">V, same shape.</param>
    /// <param name="output">O, same shape; only the rows of the range are written.</param>
    /// <param name="queryStart">First query row.</param>
    /// <param name="queryCount">Query rows.</param>
    /// <param name="tuning">The kernel's knobs; null takes <see cref="HopperFlashTuning.Default"/>.</param>
    public static void DenseAttention<T>(IKernelLauncher launcher, AttentionShape shape, ArrayView<T> q, ArrayView<T> k,
        ArrayView<T> v, ArrayView<T> output, int queryStart, int queryCount, HopperFlashTuning? tuning = null)
        where T : unmanaged
    {
        ArgumentNullException.ThrowIfNull(launcher);
        RequireSupported<T>(shape);
        HopperFlashTuning knobs = tuning ?? HopperFlashTuning.Default;
        knobs.Validate(shape.HeadDim);
        int consumers = knobs.DenseConsumers ?? HopperFlashKernels.MaxConsumers(shape.HeadDim);
        if (!FlashArguments.Dense(shape, q, k, v, output, queryStart, queryCount)) return;

        int tileRows = consumers * HopperFlashKernels.ConsumerRows;
        // The kernel reads no list, count or rectification term in dense mode; Q's bytes stand in for those views.
        ArrayView<T> tokens = q.SubView(0, shape.TokenElements);
        Launch(launcher, shape, q, k, v, output, tokens.Cast<int>(), tokens.Cast<int>(), tokens.Cast<float>(), tokens.Cast<float>(),
            queryStart, queryStart + queryCount, sparse: false, rectify: false, (queryCount + tileRows - 1) / tileRows, consumers, knobs);
    }

    /// <summary>
    /// Block-sparse attention for every visual query row: a token of query block i attends, by one online softmax, to the
    /// tokens of key blocks <c>lists[b, h, i, 0..counts[b, h, i])</c> and to every valid text key
    /// <c>[VisualTokens, ValidKeys)</c>, fp32 accumulation; a row with nothing to attend gets <c>Os = 0</c>. When
    /// <paramref name="rectify"/>, <c>O = rectification[b, h, i] * Os + compensation[b, h, i, :]</c>, else <c>O = Os</c>.
    /// Text rows are untouched. List entries outside <c>[0, nK)</c> are skipped and counts are clamped to <c>[0, nK]</c>.
    /// </summary>
    /// <param name="launcher">The accelerator or stream to launch on (see <see cref="RunsOn"/>).</param>
    /// <param name="shape">The sizes; see <see cref="IsSupported"/>.</param>
    /// <param name="q">Q, <c>[B, H, S, D]</c>, starting on a 16-byte boundary (as K and V).</param>
    /// <param name="k">K, same shape.</param>
    /// <param name="v">V, same shape.</param>
    /// <param name="counts"><c>[B, H, nQ]</c>: how many entries of each list are used.</param>
    /// <param name="lists"><c>[B, H, nQ, nK]</c>: critical key blocks per query block.</param>
    /// <param name="rectification"><c>R</c>, <c>[B, H, nQ]</c> (not read when <paramref name="rectify"/> is false).</param>
    /// <param name="compensation"><c>C</c>, <c>[B, H, nQ, D]</c> (not read when <paramref name="rectify"/> is false).</param>
    /// <param name="rectify">Whether to apply the fused rectification epilogue.</param>
    /// <param name="output">O, <c>[B, H, S, D]</c>; only the visual rows are written.</param>
    /// <param name="tuning">The kernel's knobs; null takes <see cref="HopperFlashTuning.Default"/>.</param>
    public static void SparseAttention<T>(IKernelLauncher launcher, AttentionShape shape, ArrayView<T> q, ArrayView<T> k,
        ArrayView<T> v, ArrayView<int> counts, ArrayView<int> lists, ArrayView<float> rectification,
        ArrayView<float> compensation, bool rectify, ArrayView<T> output, HopperFlashTuning? tuning = null)
        where T : unmanaged
    {
        ArgumentNullException.ThrowIfNull(launcher);
        RequireSupported<T>(shape);
        HopperFlashTuning knobs = tuning ?? HopperFlashTuning.Default;
        knobs.Validate(shape.HeadDim);
        if (!FlashArguments.Sparse(shape, q, k, v, counts, lists, rectification, compensation, rectify, output)) return;

        // A query block is one group: its consumer warpgroups share every K/V stage the block's list brings.
        Launch(launcher, shape, q, k, v, output, counts, lists, rectification, compensation, 0, 0, sparse: true, rectify,
            shape.QueryBlocks, shape.QueryBlockSize / HopperFlashKernels.ConsumerRows, knobs);
    }

    private static void Launch<T>(IKernelLauncher launcher, AttentionShape shape, ArrayView<T> q, ArrayView<T> k, ArrayView<T> v,
        ArrayView<T> output, ArrayView<int> counts, ArrayView<int> lists, ArrayView<float> rectification, ArrayView<float> compensation,
        int queryStart, int queryEnd, bool sparse, bool rectify, int tilesPerHead, int consumers, HopperFlashTuning tuning) where T : unmanaged
    {
        Accelerator accelerator = launcher switch
        {
            Accelerator a => a,
            AcceleratorStream stream => stream.Accelerator,
            _ => throw new ArgumentException($"The Hopper kernels make tensor maps for an accelerator; {launcher.GetType().Name} names none.", nameof(launcher)),
        };
        int s = shape.SequenceLength, d = shape.HeadDim;
        // K and V maps end at the valid keys: the copy engine fills every row past them with zeros, so a stage never
        // holds an invalid text slot's values (which need not be finite).
        int keyRows = Math.Max(shape.ValidKeys, 1);
        int box = HopperFlashKernels.SegmentRows;
        // The launch copies the maps' bytes into the kernel's parameters (CUDA) or runs to completion (CPU), so they
        // may go when it returns.
        using TensorMap mq = TensorMap.Create3D(accelerator, q, d, s, shape.HeadCount, d, (long)s * d, 64, box, 1);
        using TensorMap mk = TensorMap.Create3D(accelerator, k, d, keyRows, shape.HeadCount, d, (long)s * d, 64, box, 1);
        using TensorMap mv = TensorMap.Create3D(accelerator, v, d, keyRows, shape.HeadCount, d, (long)s * d, 64, box, 1);
        // Tiles run along the query rows of each (b, h); a persistent grid has one group per multiprocessor (the kernel
        // holds one group per multiprocessor: its shared memory and registers).
        int tiles = tilesPerHead * shape.HeadCount;
        int groups = tuning.Persistent ? Math.Min(tiles, Math.Max(accelerator.MultiprocessorCount, 1)) : tiles;
        int segments = tuning.SegmentsFor(d);
        int queryBuffers = HopperFlashKernels.QueryBuffers(d, consumers, tuning.Stages, segments);
        var dims = new LaunchDimensions(new Dim3(groups), new Dim3(HopperFlashKernels.GroupSize(consumers)),
            HopperFlashKernels.SharedBytes(d, consumers, tuning.Stages, segments, queryBuffers));
        HopperFlashKernels.AttentionKernel.Launch(launcher, dims, mq, mk, mv, output, counts, lists, rectification, compensation,
            s, shape.VisualTokens, shape.ValidKeys, queryStart, queryEnd, shape.KeyBlockSize, shape.QueryBlocks, shape.KeyBlocks,
            sparse ? 1 : 0, rectify ? 1 : 0, FlashArguments.ScaleLog2(d), tilesPerHead, tiles, consumers, tuning.Stages,
            tuning.PingPong ? 1 : 0, d, segments, queryBuffers);
    }

    private static void RequireSupported<T>(AttentionShape shape) where T : unmanaged =>
        FlashArguments.RequireSupported<T>(IsSupported(typeof(T), shape.HeadDim, shape.QueryBlockSize, shape.KeyBlockSize),
            "Hopper flash-attention", shape, DescribeSupported());
}
