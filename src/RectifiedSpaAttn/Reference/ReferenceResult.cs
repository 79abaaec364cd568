using RectifiedSpaAttn.Tensors;

namespace RectifiedSpaAttn.Reference;

/// <summary>
/// Everything the exact reference computed for one call: the output and every intermediate a kernel may be checked
/// against. Shapes use <c>nQ</c>, <c>nK</c> from <see cref="Layout"/>.
/// </summary>
public sealed class ReferenceResult
{
    /// <summary>Creates a result; every tensor is kept, not copied.</summary>
    public ReferenceResult(
        BlockLayout layout,
        HostTensor<double> output,
        HostTensor<bool> mask,
        HostTensor<double> blockMass,
        HostTensor<double> textMass,
        HostTensor<double> rectification,
        HostTensor<double> compensation,
        HostTensor<bool> compensable)
    {
        Layout = layout ?? throw new ArgumentNullException(nameof(layout));
        Output = output ?? throw new ArgumentNullException(nameof(output));
        Mask = mask ?? throw new ArgumentNullException(nameof(mask));
        BlockMass = blockMass ?? throw new ArgumentNullException(nameof(blockMass));
        TextMass = textMass ?? throw new ArgumentNullException(nameof(textMass));
        Rectification = rectification ?? throw new ArgumentNullException(nameof(rectification));
        Compensation = compensation ?? throw new ArgumentNullException(nameof(compensation));
        Compensable = compensable ?? throw new ArgumentNullException(nameof(compensable));
        Density = ReferenceSteps.Density(mask);
    }

    /// <summary>The token layout (visual tokens, blocks, text slots) the computation used.</summary>
    public BlockLayout Layout { get; }

    /// <summary>
    /// The attention output <c>[B, H, S, D]</c>: rectified (or plain block-sparse) rows for visual queries, dense rows for
    /// valid text queries, zero rows for invalid text slots.
    /// </summary>
    public HostTensor<double> Output { get; }

    /// <summary>The critical visual key blocks <c>[B, H, nQ, nK]</c> (selected, or the caller's mask unchanged). Valid text keys are always attended in addition.</summary>
    public HostTensor<bool> Mask { get; }

    /// <summary>The fraction of true entries of <see cref="Mask"/> (0 when the mask is empty, i.e. no visual tokens).</summary>
    public double Density { get; }

    /// <summary>The implicit full-attention reference at block level, <c>P</c> <c>[B, H, nQ, nK]</c> (IPAR's block masses).</summary>
    public HostTensor<double> BlockMass { get; }

    /// <summary>The text mass <c>T</c> <c>[B, H, nQ]</c>; zero without valid text keys. Each row satisfies <c>sum_j P_ij + T_i = 1</c>.</summary>
    public HostTensor<double> TextMass { get; }

    /// <summary>
    /// The critical-token rectification factor <c>R</c> <c>[B, H, nQ]</c>: <c>sum_{j in Pi_i} P_ij + T_i</c>, where
    /// <c>Pi_i</c> is the critical blocks plus the non-compensable ones. All ones for plain block-sparse attention.
    /// </summary>
    public HostTensor<double> Rectification { get; }

    /// <summary>The non-critical compensation <c>C</c> <c>[B, H, nQ, D]</c>: <c>sum_{j not in Pi_i} P_ij vbar_j</c>. Zero for plain block-sparse attention.</summary>
    public HostTensor<double> Compensation { get; }

    /// <summary>
    /// GAPR's verdict <c>[B, H, nQ, nK]</c>: block (i, j) is compensable when its pooled gain exceeds its pooling error.
    /// All false for plain block-sparse attention (nothing is compensated, so <c>R = 1</c>, <c>C = 0</c> follow from the same formulas).
    /// </summary>
    public HostTensor<bool> Compensable { get; }
}
