using System.Diagnostics;
using RectifiedSpaAttn.Attention;
using RectifiedSpaAttn.Cli.Progress;
using RectifiedSpaAttn.Compute;
using RectifiedSpaAttn.Reference;
using RectifiedSpaAttn.Tensors;

namespace RectifiedSpaAttn.Cli.Commands;

/// <summary>
/// What one attention computation produced (output in fp64 for comparisons, mask in block order, and for the sparse
/// methods the estimated block masses <c>[B, H, nQ, nK]</c> the selection used).
/// </summary>
internal sealed record AttentionOutcome(HostTensor<double> Output, HostTensor<bool> Mask, double Density, TimeSpan Elapsed, HostTensor<float>? BlockMass = null);

/// <summary>
/// Runs one method on [B,H,S,D] host inputs, on an accelerator through the device API or, when none is given, with the
/// exact fp64 reference, and times the computation (uploads excluded, the download of the output included).
/// </summary>
internal static class AttentionExecution
{
    /// <summary>
    /// Runs all heads at once, or, when <paramref name="progress"/> is given, head by head (each (b, h) pair alone; the
    /// heads are independent, so the result is the same) reporting each finished head under <paramref name="step"/>.
    /// </summary>
    public static AttentionOutcome Run(
        CliMethod method, HostTensor q, HostTensor k, HostTensor v, AttentionSetup setup, Accelerator? accelerator,
        IProgress<HeadProgress>? progress = null, string step = "")
    {
        bool splittable = q.Rank == 4 && q.Shape.SequenceEqual(k.Shape) && q.Shape.SequenceEqual(v.Shape) && q.Length > 0;
        if (progress is null || !splittable) return RunWhole(method, q, k, v, setup.ToOptions(), accelerator);
        // Checked whole first, so a NaN is reported at its index in q, k or v rather than in a one-head slice.
        q.ThrowIfNotFinite("q");
        k.ThrowIfNotFinite("k");
        v.ThrowIfNotFinite("v");
        return HeadByHead.Run(q, k, v, setup.CriticalMask, progress, step,
            (hq, hk, hv, mask) => RunWhole(method, hq, hk, hv, setup.ToOptions(mask), accelerator));
    }

    private static AttentionOutcome RunWhole(CliMethod method, HostTensor q, HostTensor k, HostTensor v, RectifiedSpaAttnOptions options, Accelerator? accelerator)
    {
        if (accelerator is null) return RunReference(method, q, k, v, options);
        return q switch
        {
            HostTensor<float> f => RunOnDevice(accelerator, method, f, (HostTensor<float>)Same(f, k, nameof(k)), (HostTensor<float>)Same(f, v, nameof(v)), options),
            HostTensor<Half> h => RunOnDevice(accelerator, method, h, (HostTensor<Half>)Same(h, k, nameof(k)), (HostTensor<Half>)Same(h, v, nameof(v)), options),
            HostTensor<Numerics.BFloat16> b => RunOnDevice(accelerator, method, b, (HostTensor<Numerics.BFloat16>)Same(b, k, nameof(k)), (HostTensor<Numerics.BFloat16>)Same(b, v, nameof(v)), options),
            _ => throw new ArgumentException($"attention on a device takes bf16, fp16 or fp32 inputs; q is {q.ElementType} (use --accelerator reference for fp64)"),
        };
    }

    private static HostTensor Same(HostTensor q, HostTensor other, string name) =>
        other.ElementType == q.ElementType ? other
            : throw new ArgumentException($"q, k and v must have one element type; q is {q.ElementType}, {name} is {other.ElementType}");

    private static AttentionOutcome RunOnDevice<T>(Accelerator accelerator, CliMethod method, HostTensor<T> q, HostTensor<T> k, HostTensor<T> v, RectifiedSpaAttnOptions options)
        where T : unmanaged
    {
        // The upload checks name the tensors by these expressions: "k contains NaN at [b, h, s, d]".
        using var dq = DeviceTensor<T>.Upload(accelerator, q);
        using var dk = DeviceTensor<T>.Upload(accelerator, k);
        using var dv = DeviceTensor<T>.Upload(accelerator, v);
        AttentionMethod api = method switch
        {
            CliMethod.Dense => AttentionMethod.Dense,
            CliMethod.Sparse => AttentionMethod.BlockSparse,
            _ => AttentionMethod.Rectified,
        };
        var clock = Stopwatch.StartNew();
        using AttentionResult<T> result = AttentionOperations.Run(api, dq, dk, dv, options, AttentionDiagnostics.Mask | AttentionDiagnostics.BlockMass);
        HostTensor<T> output = result.Output.ToHost();
        clock.Stop();
        HostTensor<bool> mask = result.Mask ?? AllCritical(q, options);
        double density = method == CliMethod.Dense ? 1.0 : result.Density;
        return new AttentionOutcome(output.ToDouble(), mask, density, clock.Elapsed, method == CliMethod.Dense ? null : result.BlockMass);
    }

    private static AttentionOutcome RunReference(CliMethod method, HostTensor q, HostTensor k, HostTensor v, RectifiedSpaAttnOptions options)
    {
        var clock = Stopwatch.StartNew();
        switch (method)
        {
            case CliMethod.Dense:
            {
                HostTensor<double> dense = ExactReference.DenseAttention(q, k, v, options);
                clock.Stop();
                return new AttentionOutcome(dense, AllCritical(q, options), 1.0, clock.Elapsed);
            }
            case CliMethod.Sparse:
            {
                ReferenceResult r = ExactReference.BlockSparse(q, k, v, options);
                clock.Stop();
                return new AttentionOutcome(r.Output, r.Mask, r.Density, clock.Elapsed, r.BlockMass.ToSingle());
            }
            default:
            {
                ReferenceResult r = ExactReference.Rectified(q, k, v, options);
                clock.Stop();
                return new AttentionOutcome(r.Output, r.Mask, r.Density, clock.Elapsed, r.BlockMass.ToSingle());
            }
        }
    }

    private static HostTensor<bool> AllCritical(HostTensor q, RectifiedSpaAttnOptions options)
    {
        int visual = q.Shape[2] - options.TextTokens;
        int nQ = (visual + options.QueryBlockSize - 1) / options.QueryBlockSize;
        int nK = (visual + options.KeyBlockSize - 1) / options.KeyBlockSize;
        var mask = new HostTensor<bool>(q.Shape[0], q.Shape[1], nQ, nK);
        mask.Span.Fill(true);
        return mask;
    }
}
