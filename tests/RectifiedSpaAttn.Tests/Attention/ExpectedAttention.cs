using RectifiedSpaAttn.Attention;
using RectifiedSpaAttn.Reference;
using RectifiedSpaAttn.Tensors;

namespace RectifiedSpaAttn.Tests.Attention;

/// <summary>
/// The fp64 reference for one device call, composed from <see cref="ReferenceSteps"/> with the DEVICE's mask and GAPR
/// verdict, so that selection near-ties (fp32 on the device, fp64 here) cannot leak into the output comparison; the mask
/// and the verdict are checked against the fp64 ones separately, near-ties allowed.
/// </summary>
internal sealed record ExpectedAttention(
    HostTensor<double> Output, HostTensor<bool> ReferenceMask, HostTensor<bool> ReferenceCompensable,
    HostTensor<double> Rectification, HostTensor<double> BlockMass, BlockStatistics Queries, BlockStatistics Keys, BlockLayout Layout)
{
    public static ExpectedAttention Compute(
        HostTensor q, HostTensor k, HostTensor v, RectifiedSpaAttnOptions options, AttentionMethod method,
        HostTensor<bool>? deviceMask, HostTensor<bool>? deviceCompensable)
    {
        HostTensor<double> qd = q.ToDouble(), kd = k.ToDouble(), vd = v.ToDouble();
        if (options.VideoLayout is { } video) (qd, kd, vd) = (video.Permute(qd), video.Permute(kd), video.Permute(vd));
        BlockLayout layout = BlockLayout.For(qd.Shape[2], options);
        BlockStatistics queries = ReferenceSteps.Pool(qd, layout.QueryBlockSize, layout.VisualTokens);
        BlockStatistics keys = ReferenceSteps.Pool(kd, layout.KeyBlockSize, layout.VisualTokens);
        ImplicitReference masses = ReferenceSteps.Ipar(ReferenceSteps.Softmax(ReferenceSteps.PooledLogits(queries.Means, keys.Means, kd, layout)), layout);
        HostTensor<bool> referenceMask = options.CriticalMask?.Clone()
            ?? ReferenceSteps.SelectCriticalBlocks(masses.BlockMass, masses.TextMass, layout, options);
        HostTensor<bool> referenceCompensable = ReferenceSteps.Gapr(queries, keys);

        HostTensor<double> output;
        HostTensor<double> rectification = new(qd.Shape[0], qd.Shape[1], layout.QueryBlocks);
        rectification.Span.Fill(1);
        if (method == AttentionMethod.Dense)
        {
            output = ReferenceSteps.DenseAttention(qd, kd, vd, layout);
        }
        else
        {
            HostTensor<bool> mask = deviceMask ?? referenceMask;
            output = ReferenceSteps.SparseAttention(qd, kd, vd, mask, layout);
            if (method == AttentionMethod.Rectified)
            {
                HostTensor<double> valueMeans = ReferenceSteps.Pool(vd, layout.KeyBlockSize, layout.VisualTokens).Means;
                RectificationTerms terms = ReferenceSteps.Rectification(masses, mask, deviceCompensable ?? referenceCompensable, valueMeans);
                output = ReferenceSteps.ApplyRectification(output, terms, layout);
                rectification = terms.Rectification;
            }
        }
        if (options.VideoLayout is { } back) output = back.Unpermute(output);
        return new ExpectedAttention(output, referenceMask, referenceCompensable, rectification, masses.BlockMass, queries, keys, layout);
    }
}
