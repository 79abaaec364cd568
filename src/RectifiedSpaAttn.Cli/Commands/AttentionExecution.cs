using System.Diagnostics;
using RectifiedSpaAttn.Reference;
using RectifiedSpaAttn.Tensors;

namespace RectifiedSpaAttn.Cli.Commands;

/// <summary>What one attention computation produced.</summary>
internal sealed record AttentionOutcome(HostTensor<double> Output, HostTensor<bool> Mask, double Density, TimeSpan Elapsed);

/// <summary>
/// Runs one method on visual-first [B,H,S,D] inputs (already in block order) with the exact reference
/// implementation, and times it.
/// </summary>
internal static class AttentionExecution
{
    public static RectifiedSpaAttnOptions ToOptions(SelectionOptions s, HostTensor<bool>? criticalMask, HostTensor<bool>? neighborMask) => new()
    {
        QueryBlockSize = s.BlockSize,
        KeyBlockSize = s.BlockSize,
        DropRate = s.TopK is null ? s.DropRate : null,
        MinCriticalBlocks = s.TopK,
        Tau = s.Tau,
        FirstFrameBlocks = s.FirstFrameBlocks,
        TextTokens = s.TextTokens,
        ValidTextTokens = s.ValidTextTokens,
        CriticalMask = criticalMask,
        NeighborMask = neighborMask,
    };

    public static AttentionOutcome Run(CliMethod method, HostTensor q, HostTensor k, HostTensor v, RectifiedSpaAttnOptions options)
    {
        var clock = Stopwatch.StartNew();
        switch (method)
        {
            case CliMethod.Dense:
            {
                HostTensor<double> dense = ExactReference.DenseAttention(q, k, v, options.TextTokens, options.ValidTextTokens);
                clock.Stop();
                return new AttentionOutcome(dense, AllCritical(q, options), 1.0, clock.Elapsed);
            }
            case CliMethod.Sparse:
            {
                ReferenceResult r = ExactReference.BlockSparse(q, k, v, options);
                clock.Stop();
                return new AttentionOutcome(r.Output, r.Mask, r.Density, clock.Elapsed);
            }
            default:
            {
                ReferenceResult r = ExactReference.Rectified(q, k, v, options);
                clock.Stop();
                return new AttentionOutcome(r.Output, r.Mask, r.Density, clock.Elapsed);
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
