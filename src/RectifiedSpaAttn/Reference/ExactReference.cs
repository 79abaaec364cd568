using RectifiedSpaAttn.Tensors;

namespace RectifiedSpaAttn.Reference;

/// <summary>
/// The exact reference implementation of Rectified SpaAttn (spec <c>rectified-spaattn.md</c>; docs/algorithm.md): every
/// step evaluated in fp64 on the host, clear before fast. Every kernel the project ships is tested against it.
/// Inputs are <c>[B, H, S, D]</c> tensors of bf16, fp16, fp32 or fp64, converted to fp64 once; the logit scale is <c>1/sqrt(D)</c>.
/// </summary>
public static class ExactReference
{
    /// <summary>
    /// Dense attention, <c>softmax(q k^T / sqrt(D)) v</c>, over all valid keys: the visual tokens and the first
    /// <paramref name="validTextTokens"/> of the last <paramref name="textTokens"/> slots. Invalid text slots are never
    /// attended to and their output rows are zero.
    /// </summary>
    /// <param name="q">Queries, <c>[B, H, S, D]</c>.</param>
    /// <param name="k">Keys, same shape.</param>
    /// <param name="v">Values, same shape.</param>
    /// <param name="textTokens">Text slots at the end of the sequence, <c>S_txt</c>.</param>
    /// <param name="validTextTokens">Valid text slots <c>L_txt</c>; null means all of them.</param>
    /// <returns>The output, <c>[B, H, S, D]</c>, in fp64.</returns>
    /// <exception cref="ArgumentException">Mismatched or malformed shapes, non-finite inputs, or text counts out of range.</exception>
    public static HostTensor<double> DenseAttention(HostTensor q, HostTensor k, HostTensor v, int textTokens = 0, int? validTextTokens = null)
    {
        var (qd, kd, vd) = AttentionInputs.ToDouble(q, k, v);
        var options = new RectifiedSpaAttnOptions { TextTokens = textTokens, ValidTextTokens = validTextTokens };
        options.Validate(qd.Shape[0], qd.Shape[1], qd.Shape[2]);
        return ReferenceSteps.DenseAttention(qd, kd, vd, BlockLayout.For(qd.Shape[2], options));
    }

    /// <summary>
    /// Dense attention with the text layout and video layout of <paramref name="options"/> (its selection settings are
    /// ignored). With <see cref="RectifiedSpaAttnOptions.VideoLayout"/> the tokens are reordered along the curve and back,
    /// which dense attention is invariant to up to rounding.
    /// </summary>
    /// <param name="q">Queries, <c>[B, H, S, D]</c>.</param>
    /// <param name="k">Keys, same shape.</param>
    /// <param name="v">Values, same shape.</param>
    /// <param name="options">Text and video layout.</param>
    /// <returns>The output, <c>[B, H, S, D]</c>, in fp64.</returns>
    /// <exception cref="ArgumentException">Mismatched or malformed shapes, non-finite inputs, or invalid options.</exception>
    public static HostTensor<double> DenseAttention(HostTensor q, HostTensor k, HostTensor v, RectifiedSpaAttnOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var (qd, kd, vd) = AttentionInputs.ToDouble(q, k, v);
        options.Validate(qd.Shape[0], qd.Shape[1], qd.Shape[2]);
        if (options.VideoLayout is { } video) (qd, kd, vd) = (Reorder(video, qd, true), Reorder(video, kd, true), Reorder(video, vd, true));
        HostTensor<double> output = ReferenceSteps.DenseAttention(qd, kd, vd, BlockLayout.For(qd.Shape[2], options));
        return options.VideoLayout is { } layout ? Reorder(layout, output, false) : output;
    }

    /// <summary>
    /// Rectified SpaAttn: pooling, pooled softmax with IPAR, critical-block selection (or the supplied
    /// <see cref="RectifiedSpaAttnOptions.CriticalMask"/>), GAPR, exact token-level sparse attention, and rectification
    /// <c>O = R * Os + C</c> for visual queries; dense attention for valid text queries; zero rows for invalid text slots.
    /// </summary>
    /// <param name="q">Queries, <c>[B, H, S, D]</c>.</param>
    /// <param name="k">Keys, same shape.</param>
    /// <param name="v">Values, same shape.</param>
    /// <param name="options">Block sizes, selection rule and text layout.</param>
    /// <returns>The output and every intermediate.</returns>
    /// <exception cref="ArgumentException">Mismatched or malformed shapes, non-finite inputs, or invalid options.</exception>
    public static ReferenceResult Rectified(HostTensor q, HostTensor k, HostTensor v, RectifiedSpaAttnOptions options) =>
        Run(q, k, v, options, rectify: true);

    /// <summary>
    /// Plain block-sparse attention with the same selection as <see cref="Rectified"/> but no rectification: the output is
    /// <c>Os</c>, <see cref="ReferenceResult.Rectification"/> is all ones, <see cref="ReferenceResult.Compensation"/> all
    /// zeros and <see cref="ReferenceResult.Compensable"/> all false. Block and text masses are still reported.
    /// </summary>
    /// <param name="q">Queries, <c>[B, H, S, D]</c>.</param>
    /// <param name="k">Keys, same shape.</param>
    /// <param name="v">Values, same shape.</param>
    /// <param name="options">Block sizes, selection rule and text layout.</param>
    /// <returns>The output and the intermediates.</returns>
    /// <exception cref="ArgumentException">Mismatched or malformed shapes, non-finite inputs, or invalid options.</exception>
    public static ReferenceResult BlockSparse(HostTensor q, HostTensor k, HostTensor v, RectifiedSpaAttnOptions options) =>
        Run(q, k, v, options, rectify: false);

    private static ReferenceResult Run(HostTensor q, HostTensor k, HostTensor v, RectifiedSpaAttnOptions options, bool rectify)
    {
        ArgumentNullException.ThrowIfNull(options);
        var (qd, kd, vd) = AttentionInputs.ToDouble(q, k, v);
        int batch = qd.Shape[0], heads = qd.Shape[1], seq = qd.Shape[2], dim = qd.Shape[3];
        options.Validate(batch, heads, seq);
        BlockLayout layout = BlockLayout.For(seq, options);
        if (options.VideoLayout is { } video) (qd, kd, vd) = (Reorder(video, qd, true), Reorder(video, kd, true), Reorder(video, vd, true));

        BlockStatistics queries = ReferenceSteps.Pool(qd, layout.QueryBlockSize, layout.VisualTokens);
        BlockStatistics keys = ReferenceSteps.Pool(kd, layout.KeyBlockSize, layout.VisualTokens);
        HostTensor<double> logits = ReferenceSteps.PooledLogits(queries.Means, keys.Means, kd, layout);
        ImplicitReference reference = ReferenceSteps.Ipar(ReferenceSteps.Softmax(logits), layout);

        // A supplied mask is used exactly as given (copied so the result does not alias the caller's tensor).
        HostTensor<bool> mask = options.CriticalMask?.Clone()
            ?? ReferenceSteps.SelectCriticalBlocks(reference.BlockMass, reference.TextMass, layout, options);
        HostTensor<double> sparse = ReferenceSteps.SparseAttention(qd, kd, vd, mask, layout);

        if (!rectify)
        {
            var ones = new HostTensor<double>(batch, heads, layout.QueryBlocks);
            ones.Span.Fill(1.0);
            return new ReferenceResult(layout, ToRowMajor(options, sparse), mask, reference.BlockMass, reference.TextMass, ones,
                new HostTensor<double>(batch, heads, layout.QueryBlocks, dim), new HostTensor<bool>(batch, heads, layout.QueryBlocks, layout.KeyBlocks));
        }

        HostTensor<bool> compensable = ReferenceSteps.Gapr(queries, keys);
        HostTensor<double> valueMeans = ReferenceSteps.Pool(vd, layout.KeyBlockSize, layout.VisualTokens).Means;
        RectificationTerms terms = ReferenceSteps.Rectification(reference, mask, compensable, valueMeans);
        HostTensor<double> output = ToRowMajor(options, ReferenceSteps.ApplyRectification(sparse, terms, layout));
        return new ReferenceResult(layout, output, mask, reference.BlockMass, reference.TextMass, terms.Rectification, terms.Compensation, compensable);
    }

    private static HostTensor<double> ToRowMajor(RectifiedSpaAttnOptions options, HostTensor<double> output) =>
        options.VideoLayout is { } video ? Reorder(video, output, false) : output;

    /// <summary>Reorders the visual tokens of every (b, h) along the curve (<paramref name="toCurve"/>) or back; text tokens stay.</summary>
    private static HostTensor<double> Reorder(Video.VideoLayout video, HostTensor<double> x, bool toCurve) =>
        toCurve ? video.Permute(x) : video.Unpermute(x);
}
