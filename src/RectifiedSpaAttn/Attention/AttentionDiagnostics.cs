namespace RectifiedSpaAttn.Attention;

/// <summary>
/// Which intermediates of a block-sparse or rectified attention call to bring back to the host in its
/// <see cref="AttentionResult{T}"/>. Each costs one device-to-host copy; the density is always reported.
/// </summary>
[Flags]
public enum AttentionDiagnostics
{
    /// <summary>Only the output and the density.</summary>
    None = 0,
    /// <summary>The critical-block mask <c>[B, H, nQ, nK]</c> (<see cref="AttentionResult{T}.Mask"/>).</summary>
    Mask = 1,
    /// <summary>The rectification factor <c>R</c> <c>[B, H, nQ]</c> and compensation <c>C</c> <c>[B, H, nQ, D]</c>.</summary>
    Rectification = 2,
    /// <summary>IPAR's block masses <c>P</c> <c>[B, H, nQ, nK]</c> and text masses <c>T</c> <c>[B, H, nQ]</c>.</summary>
    BlockMass = 4,
    /// <summary>GAPR's verdict <c>[B, H, nQ, nK]</c> (<see cref="AttentionResult{T}.Compensable"/>).</summary>
    Compensable = 8,
    /// <summary>Everything above.</summary>
    All = Mask | Rectification | BlockMass | Compensable,
}
