using RectifiedSpaAttn.Compute;
using RectifiedSpaAttn.Kernels.Attention;
using RectifiedSpaAttn.Kernels.Attention.Estimation;
using RectifiedSpaAttn.Kernels.Layout;
using RectifiedSpaAttn.Reference;
using RectifiedSpaAttn.Tensors;

namespace RectifiedSpaAttn.Attention.Pipeline;

/// <summary>
/// Runs one attention call as a sequence of kernel steps on the inputs' accelerator (spec steps 1-9): optional reorder
/// along the video curve, pooling, pooled masses (IPAR), selection or the supplied mask, the compact per-row block lists,
/// GAPR and the rectification terms, block-sparse flash attention with the rectification in its epilogue, dense
/// attention for text queries, and the reorder back. Intermediates live in device scratch buffers freed at the end.
/// </summary>
internal static class AttentionPipeline
{
    /// <summary>Validates the inputs, runs <paramref name="method"/>'s steps and returns the output with the requested diagnostics.</summary>
    /// <param name="q">Queries <c>[B, H, S, D]</c>.</param>
    /// <param name="k">Keys.</param>
    /// <param name="v">Values.</param>
    /// <param name="options">Block sizes, selection, text and video layout.</param>
    /// <param name="method">What to compute.</param>
    /// <param name="diagnostics">Which intermediates to download.</param>
    /// <param name="forceKernels">Run every generated kernel (flash and estimation) even on the CPU accelerator (tests of the kernels use this).</param>
    public static AttentionResult<T> Run<T>(
        DeviceTensor<T> q, DeviceTensor<T> k, DeviceTensor<T> v, RectifiedSpaAttnOptions options, AttentionMethod method,
        AttentionDiagnostics diagnostics, bool forceKernels = false)
        where T : unmanaged
    {
        AttentionShape shape = AttentionInputCheck.Validate(q, k, v, options);
        Accelerator accelerator = q.Accelerator;
        var route = FlashRoute.For(accelerator, forceKernels);
        route.RequireSupported<T>(shape);
        var estimation = EstimationRoute.For(accelerator, forceKernels);

        var output = DeviceTensor<T>.Allocate(accelerator, q.Shape);
        try
        {
            using var scratch = new ScratchBuffers(accelerator);
            var inputs = new AttentionStepInputs<T>(q.View, k.View, v.View, output.View);
            DeviceBuffer<int>? curveOrder = null;
            if (options.VideoLayout is { } video)
            {
                // Work in curve order: reorder the inputs into scratch, write the output there, and scatter it back at the end.
                curveOrder = scratch.Upload(video.TokensAlongCurve);
                inputs = new AttentionStepInputs<T>(
                    ToCurve(accelerator, shape, scratch, q.View, curveOrder), ToCurve(accelerator, shape, scratch, k.View, curveOrder),
                    ToCurve(accelerator, shape, scratch, v.View, curveOrder), scratch.Allocate<T>(shape.TokenElements).View);
            }

            AttentionResult<T> result = method == AttentionMethod.Dense
                ? RunDense(output, shape, inputs, route, options)
                : RunSparse(output, shape, inputs, route, estimation, options, method == AttentionMethod.Rectified, diagnostics, scratch);

            if (curveOrder is not null)
                LayoutSteps.PermuteTokens(accelerator, shape, inputs.Output, curveOrder.View, inverse: true, output.View);
            accelerator.Synchronize();
            return result;
        }
        catch
        {
            output.Dispose();
            throw;
        }
    }

    private static AttentionResult<T> RunDense<T>(
        DeviceTensor<T> output, AttentionShape shape, AttentionStepInputs<T> x, FlashRoute route, RectifiedSpaAttnOptions options)
        where T : unmanaged
    {
        route.Dense(shape, x.Q, x.K, x.V, x.Output, 0, shape.SequenceLength);
        return new AttentionResult<T>(output, BlockLayout.For(shape.SequenceLength, options), shape.QueryBlocks == 0 ? 0 : 1);
    }

    private static AttentionResult<T> RunSparse<T>(
        DeviceTensor<T> output, AttentionShape shape, AttentionStepInputs<T> x, FlashRoute route, EstimationRoute estimation,
        RectifiedSpaAttnOptions options, bool rectify, AttentionDiagnostics diagnostics, ScratchBuffers scratch)
        where T : unmanaged
    {
        int nQ = shape.QueryBlocks, nK = shape.KeyBlocks, dim = shape.HeadDim;
        long rows = (long)shape.HeadCount * nQ, pairs = rows * nK;
        bool maskGiven = options.CriticalMask is not null;
        bool wantMasses = diagnostics.HasFlag(AttentionDiagnostics.BlockMass);
        bool needMasses = rectify || !maskGiven || wantMasses;

        var qMeans = scratch.Allocate<float>(rows * dim);
        var qDeviations = scratch.Allocate<float>(rectify ? rows * dim : 1);
        var kMeans = scratch.Allocate<float>((long)shape.HeadCount * nK * dim);
        var kDeviations = scratch.Allocate<float>(rectify ? (long)shape.HeadCount * nK * dim : 1);
        var vMeans = scratch.Allocate<float>(rectify ? (long)shape.HeadCount * nK * dim : 1);
        var blockMass = scratch.Allocate<float>(pairs);
        var textMass = scratch.Allocate<float>(rows);
        var mask = maskGiven ? scratch.UploadMask(options.CriticalMask!.Span) : scratch.Allocate<byte>(pairs);
        var counts = scratch.Allocate<int>(rows);
        var lists = scratch.Allocate<int>(pairs);
        var rectification = scratch.Allocate<float>(rows);
        var compensation = scratch.Allocate<float>(rows * dim);
        var compensable = scratch.Allocate<byte>(pairs);

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
            route.Sparse(shape, x.Q, x.K, x.V, counts.View, lists.View, rectification.View, compensation.View, rectify, x.Output);
        }
        route.Dense(shape, x.Q, x.K, x.V, x.Output, shape.VisualTokens, shape.TextTokens);

        int[] rowCounts = rows == 0 ? [] : counts.ToArray()[..(int)rows];
        double density = pairs == 0 ? 0 : rowCounts.Sum(c => (long)c) / (double)pairs;
        var blockShape = new[] { shape.Batch, shape.Heads, nQ, nK };
        var rowShape = new[] { shape.Batch, shape.Heads, nQ };
        return new AttentionResult<T>(output, BlockLayout.For(shape.SequenceLength, options), density)
        {
            Mask = diagnostics.HasFlag(AttentionDiagnostics.Mask) ? DownloadMask(mask, blockShape) : null,
            BlockMass = wantMasses ? Download(blockMass, blockShape) : null,
            TextMass = wantMasses ? Download(textMass, rowShape) : null,
            Rectification = diagnostics.HasFlag(AttentionDiagnostics.Rectification)
                ? (rectify ? Download(rectification, rowShape) : Filled(rowShape, 1f)) : null,
            Compensation = diagnostics.HasFlag(AttentionDiagnostics.Rectification)
                ? (rectify ? Download(compensation, [shape.Batch, shape.Heads, nQ, dim]) : new HostTensor<float>(shape.Batch, shape.Heads, nQ, dim)) : null,
            Compensable = diagnostics.HasFlag(AttentionDiagnostics.Compensable)
                ? (rectify ? DownloadMask(compensable, blockShape) : new HostTensor<bool>(blockShape)) : null,
        };
    }

    private static ArrayView<T> ToCurve<T>(Accelerator accelerator, AttentionShape shape, ScratchBuffers scratch, ArrayView<T> source, DeviceBuffer<int> order)
        where T : unmanaged
    {
        ArrayView<T> destination = scratch.Allocate<T>(shape.TokenElements).View;
        LayoutSteps.PermuteTokens(accelerator, shape, source, order.View, inverse: false, destination);
        return destination;
    }

    private static HostTensor<float> Download(DeviceBuffer<float> buffer, int[] shape)
    {
        var host = new HostTensor<float>(shape);
        if (host.Length > 0) buffer.CopyTo(host.Span, 0);
        return host;
    }

    private static HostTensor<bool> DownloadMask(DeviceBuffer<byte> buffer, int[] shape)
    {
        var bytes = new byte[new HostTensor<bool>(shape).Length];
        if (bytes.Length > 0) buffer.CopyTo(bytes, 0);
        return new HostTensor<bool>(Array.ConvertAll(bytes, b => b != 0), shape);
    }

    private static HostTensor<float> Filled(int[] shape, float value)
    {
        var host = new HostTensor<float>(shape);
        host.Span.Fill(value);
        return host;
    }
}
