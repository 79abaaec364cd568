using RectifiedSpaAttn.Reference;
using RectifiedSpaAttn.Tensors;

namespace RectifiedSpaAttn.Attention;

/// <summary>
/// What one block-sparse or rectified attention call produced: the output on the device, the density, and the
/// intermediates asked for with <see cref="AttentionDiagnostics"/> (null when not asked for). Per-block results are in
/// block order (curve order when a video layout was used). Disposing frees <see cref="Output"/>.
/// </summary>
/// <typeparam name="T">The element type of the inputs and the output.</typeparam>
public sealed class AttentionResult<T> : IDisposable where T : unmanaged
{
    internal AttentionResult(DeviceTensor<T> output, BlockLayout layout, double density)
    {
        Output = output;
        Layout = layout;
        Density = density;
    }

    /// <summary>The attention output <c>[B, H, S, D]</c>, in the inputs' token order and element type.</summary>
    public DeviceTensor<T> Output { get; }

    /// <summary>The token layout the call used (visual tokens, block sizes, text slots).</summary>
    public BlockLayout Layout { get; }

    /// <summary>The fraction of (query block, key block) pairs attended: true entries of the mask over <c>B H nQ nK</c> (0 without visual tokens).</summary>
    public double Density { get; }

    /// <summary>The critical key blocks <c>[B, H, nQ, nK]</c>, with <see cref="AttentionDiagnostics.Mask"/>.</summary>
    public HostTensor<bool>? Mask { get; internal init; }

    /// <summary>IPAR's block masses <c>P</c> <c>[B, H, nQ, nK]</c>, with <see cref="AttentionDiagnostics.BlockMass"/>.</summary>
    public HostTensor<float>? BlockMass { get; internal init; }

    /// <summary>IPAR's text masses <c>T</c> <c>[B, H, nQ]</c>, with <see cref="AttentionDiagnostics.BlockMass"/>.</summary>
    public HostTensor<float>? TextMass { get; internal init; }

    /// <summary>The rectification factor <c>R</c> <c>[B, H, nQ]</c> (all ones for plain block-sparse attention), with <see cref="AttentionDiagnostics.Rectification"/>.</summary>
    public HostTensor<float>? Rectification { get; internal init; }

    /// <summary>The compensation <c>C</c> <c>[B, H, nQ, D]</c> (zeros for plain block-sparse attention), with <see cref="AttentionDiagnostics.Rectification"/>.</summary>
    public HostTensor<float>? Compensation { get; internal init; }

    /// <summary>GAPR's verdict <c>[B, H, nQ, nK]</c> (all false for plain block-sparse attention), with <see cref="AttentionDiagnostics.Compensable"/>.</summary>
    public HostTensor<bool>? Compensable { get; internal init; }

    /// <summary>Frees <see cref="Output"/>.</summary>
    public void Dispose() => Output.Dispose();
}
