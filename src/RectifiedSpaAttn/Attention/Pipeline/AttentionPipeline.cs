using RectifiedSpaAttn.Compute;
using RectifiedSpaAttn.Kernels.Attention;
using RectifiedSpaAttn.Kernels.Attention.Estimation;
using RectifiedSpaAttn.Kernels.Layout;
using RectifiedSpaAttn.Reference;
using RectifiedSpaAttn.Tensors;

namespace RectifiedSpaAttn.Attention.Pipeline;

/// <summary>
/// Runs one attention call as a sequence of kernel steps enqueued on one stream of the inputs' accelerator (spec steps
/// 1-9): optional reorder along the video curve, pooling, pooled masses (IPAR), selection or the supplied mask, the
/// compact per-row block lists, GAPR and the rectification terms, block-sparse flash attention with the rectification in
/// its epilogue, dense attention for text queries, the reorder back, and the density summed on the device. Nothing
/// waits for the device: host data (the curve order, masks) goes up through the stream's staging, intermediates live in
/// pooled scratch handed back behind a marker, and the result downloads its density and diagnostics when read.
/// </summary>
internal static class AttentionPipeline
{
    /// <summary>Validates the inputs, enqueues <paramref name="method"/>'s steps and returns the output with the requested diagnostics.</summary>
    /// <param name="q">Queries <c>[B, H, S, D]</c>.</param>
    /// <param name="k">Keys.</param>
    /// <param name="v">Values.</param>
    /// <param name="options">Block sizes, selection, text and video layout.</param>
    /// <param name="method">What to compute.</param>
    /// <param name="diagnostics">Which intermediates the result may download.</param>
    /// <param name="stream">The stream to enqueue on; null for the accelerator's default stream.</param>
    /// <param name="forceKernels">Run every generated kernel (flash and estimation) even on the CPU accelerator (tests of the kernels use this).</param>
    public static AttentionResult<T> Run<T>(
        DeviceTensor<T> q, DeviceTensor<T> k, DeviceTensor<T> v, RectifiedSpaAttnOptions options, AttentionMethod method,
        AttentionDiagnostics diagnostics, AcceleratorStream? stream = null, bool forceKernels = false)
        where T : unmanaged
    {
        AttentionShape shape = AttentionInputCheck.Validate(q, k, v, options);
        Accelerator accelerator = q.Accelerator;
        stream = AttentionInputCheck.Stream(stream, accelerator);
        var route = FlashRoute.For(accelerator, forceKernels);
        route.RequireSupported<T>(shape);
        var estimation = EstimationRoute.For(stream, forceKernels);

        DeviceTensor<T> output = PooledOutput<T>(stream, q.Shape);
        var downloads = new ResultDownloads(new ScratchBuffers(stream));
        try
        {
            using var scratch = new ScratchBuffers(stream);
            var inputs = new AttentionStepInputs<T>(q.View, k.View, v.View, output.View);
            DeviceBuffer<int>? curveOrder = null;
            if (options.VideoLayout is { } video)
            {
                // Work in curve order: reorder the inputs into scratch, write the output there, and scatter it back at the end.
                curveOrder = scratch.Upload(video.TokensAlongCurve);
                inputs = new AttentionStepInputs<T>(
                    ToCurve(stream, shape, scratch, q.View, curveOrder), ToCurve(stream, shape, scratch, k.View, curveOrder),
                    ToCurve(stream, shape, scratch, v.View, curveOrder), scratch.Allocate<T>(shape.TokenElements).View);
            }

            AttentionResult<T> result = method == AttentionMethod.Dense
                ? RunDense(output, shape, inputs, route, stream, options)
                : RunSparse(output, shape, inputs, route, stream, estimation, options, method == AttentionMethod.Rectified, diagnostics, scratch, downloads);

            if (curveOrder is not null)
                LayoutSteps.PermuteTokens(stream, shape, inputs.Output, curveOrder.View, inverse: true, output.View);
            return result;
        }
        catch
        {
            output.Dispose();
            downloads.Dispose();
            throw;
        }
    }

    /// <summary>An output tensor on pooled memory: disposing it hands the memory back for the next call.</summary>
    private static DeviceTensor<T> PooledOutput<T>(AcceleratorStream stream, ReadOnlySpan<int> shape) where T : unmanaged
    {
        var pool = ScratchPool.For(stream.Accelerator);
        long length = 1;
        foreach (int extent in shape) length *= extent;
        return new DeviceTensor<T>(pool.Rent<T>(stream, length), shape, buffer => pool.ReturnNow(buffer, stream));
    }

    private static AttentionResult<T> RunDense<T>(
        DeviceTensor<T> output, AttentionShape shape, AttentionStepInputs<T> x, FlashRoute route, AcceleratorStream stream, RectifiedSpaAttnOptions options)
        where T : unmanaged
    {
        route.Dense(stream, shape, x.Q, x.K, x.V, x.Output, 0, shape.SequenceLength);
        return new AttentionResult<T>(output, BlockLayout.For(shape.SequenceLength, options), stream, new Lazy<double>(shape.QueryBlocks == 0 ? 0 : 1), null);
    }

    private static AttentionResult<T> RunSparse<T>(
        DeviceTensor<T> output, AttentionShape shape, AttentionStepInputs<T> x, FlashRoute route, AcceleratorStream stream, EstimationRoute estimation,
        RectifiedSpaAttnOptions options, bool rectify, AttentionDiagnostics diagnostics, ScratchBuffers scratch, ResultDownloads downloads)
        where T : unmanaged
    {
        int nQ = shape.QueryBlocks, nK = shape.KeyBlocks, dim = shape.HeadDim;
        long rows = (long)shape.HeadCount * nQ, pairs = rows * nK;
        bool maskGiven = options.CriticalMask is not null;
        bool wantMask = diagnostics.HasFlag(AttentionDiagnostics.Mask);
        bool wantMasses = diagnostics.HasFlag(AttentionDiagnostics.BlockMass);
        bool wantTerms = rectify && diagnostics.HasFlag(AttentionDiagnostics.Rectification);
        bool wantCompensable = rectify && diagnostics.HasFlag(AttentionDiagnostics.Compensable);
        bool needMasses = rectify || !maskGiven || wantMasses;
        // What the result reads later lives in buffers it owns; the rest goes back to the pool when this call returns.
        ScratchBuffers kept = downloads.Buffers;

        var qMeans = scratch.Allocate<float>(rows * dim);
        var qDeviations = scratch.Allocate<float>(rectify ? rows * dim : 1);
        var kMeans = scratch.Allocate<float>((long)shape.HeadCount * nK * dim);
        var kDeviations = scratch.Allocate<float>(rectify ? (long)shape.HeadCount * nK * dim : 1);
        var vMeans = scratch.Allocate<float>(rectify ? (long)shape.HeadCount * nK * dim : 1);
        var blockMass = (wantMasses ? kept : scratch).Allocate<float>(pairs);
        var textMass = (wantMasses ? kept : scratch).Allocate<float>(rows);
        var mask = maskGiven ? (wantMask ? kept : scratch).UploadMask(options.CriticalMask!.Span) : (wantMask ? kept : scratch).Allocate<byte>(pairs);
        var counts = scratch.Allocate<int>(rows);
        var lists = scratch.Allocate<int>(pairs);
        var rectification = (wantTerms ? kept : scratch).Allocate<float>(rows);
        var compensation = (wantTerms ? kept : scratch).Allocate<float>(rows * dim);
        var compensable = (wantCompensable ? kept : scratch).Allocate<byte>(pairs);
        var total = kept.Allocate<long>(1);

        if (nQ > 0)
        {
            if (needMasses)
                estimation.PoolInputs(shape, x.Q, x.K, x.V, qMeans.View, qDeviations.View, kMeans.View, kDeviations.View, vMeans.View, rectify);
            SelectionRule? rule = null;
            if (!maskGiven)
            {
                HostTensor<bool>? neighbors = options.ResolveNeighborMask();
                DeviceBuffer<byte> neighborBuffer = neighbors is null ? scratch.Allocate<byte>(1) : scratch.UploadMask(neighbors.Span);
                rule = new SelectionRule((float)Math.Min(options.Tau, float.MaxValue), options.ResolveMinCriticalBlocks(nK), options.FirstFrameBlocks,
                    neighborBuffer.View, neighbors is not null);
            }
            estimation.MassesAndLists(shape, qMeans.View, qDeviations.View, kMeans.View, kDeviations.View, x.K, blockMass.View, textMass.View,
                compensable.View, needMasses, rectify, rule, mask.View, counts.View, lists.View);
            if (rectify)
            {
                estimation.RectificationTerms(
                    shape, qMeans.View, qDeviations.View, kMeans.View, kDeviations.View, vMeans.View, blockMass.View,
                    textMass.View, mask.View, compensable.View, rectification.View, compensation.View);
            }
            route.Sparse(stream, shape, x.Q, x.K, x.V, counts.View, lists.View, rectification.View, compensation.View, rectify, x.Output);
            DensitySteps.SumCounts(stream, counts.View, rows, total.View);
        }
        route.Dense(stream, shape, x.Q, x.K, x.V, x.Output, shape.VisualTokens, shape.TextTokens);

        var blockShape = new[] { shape.Batch, shape.Heads, nQ, nK };
        var rowShape = new[] { shape.Batch, shape.Heads, nQ };
        int[] termShape = [shape.Batch, shape.Heads, nQ, dim];
        bool wantRectification = diagnostics.HasFlag(AttentionDiagnostics.Rectification);
        return new AttentionResult<T>(output, BlockLayout.For(shape.SequenceLength, options), stream, downloads.Density(total, pairs), downloads)
        {
            MaskDownload = wantMask ? downloads.Mask(mask, blockShape) : null,
            BlockMassDownload = wantMasses ? downloads.Floats(blockMass, blockShape) : null,
            TextMassDownload = wantMasses ? downloads.Floats(textMass, rowShape) : null,
            RectificationDownload = !wantRectification ? null : rectify ? downloads.Floats(rectification, rowShape) : Ready(Filled(rowShape, 1f)),
            CompensationDownload = !wantRectification ? null : rectify ? downloads.Floats(compensation, termShape) : Ready(new HostTensor<float>(termShape)),
            CompensableDownload = !diagnostics.HasFlag(AttentionDiagnostics.Compensable) ? null
                : rectify ? downloads.Mask(compensable, blockShape) : Ready(new HostTensor<bool>(blockShape)),
        };
    }

    private static ArrayView<T> ToCurve<T>(AcceleratorStream stream, AttentionShape shape, ScratchBuffers scratch, ArrayView<T> source, DeviceBuffer<int> order)
        where T : unmanaged
    {
        ArrayView<T> destination = scratch.Allocate<T>(shape.TokenElements).View;
        LayoutSteps.PermuteTokens(stream, shape, source, order.View, inverse: false, destination);
        return destination;
    }

    private static Lazy<TValue?> Ready<TValue>(TValue value) where TValue : class => new(value);

    private static HostTensor<float> Filled(int[] shape, float value)
    {
        var host = new HostTensor<float>(shape);
        host.Span.Fill(value);
        return host;
    }
}
