using RectifiedSpaAttn.Attention.Pipeline;
using RectifiedSpaAttn.Compute;
using RectifiedSpaAttn.Reference;
using RectifiedSpaAttn.Tensors;

namespace RectifiedSpaAttn.Attention;

/// <summary>
/// What one attention call enqueued: the output on the device, the density, and the intermediates asked for with
/// <see cref="AttentionDiagnostics"/> (null when not asked for). Per-block results are in block order (curve order when a
/// video layout was used).
/// <para>
/// The call returns before the device has run it. <see cref="Output"/> is ready once <see cref="Stream"/> has passed
/// the call (synchronise the stream, or enqueue the next work on the same stream). <see cref="Density"/> and the
/// diagnostics are computed on the device and downloaded on first access, which waits for <see cref="Stream"/> then;
/// the result keeps the device buffers they live in until it is disposed. Disposing hands <see cref="Output"/> and
/// those buffers back to the accelerator's scratch pool, for the next call to reuse.
/// </para>
/// </summary>
/// <typeparam name="T">The element type of the inputs and the output.</typeparam>
public sealed class AttentionResult<T> : IDisposable where T : unmanaged
{
    private readonly ResultDownloads? _downloads;
    private readonly Lazy<double> _density;
    private int _disposed;

    internal AttentionResult(DeviceTensor<T> output, BlockLayout layout, AcceleratorStream stream, Lazy<double> density, ResultDownloads? downloads)
    {
        Output = output;
        Layout = layout;
        Stream = stream;
        _density = density;
        _downloads = downloads;
    }

    /// <summary>The attention output <c>[B, H, S, D]</c>, in the inputs' token order and element type (written once <see cref="Stream"/> has passed the call).</summary>
    public DeviceTensor<T> Output { get; }

    /// <summary>The stream the call's work was enqueued on (the accelerator's default stream unless the call named one).</summary>
    public AcceleratorStream Stream { get; }

    /// <summary>The token layout the call used (visual tokens, block sizes, text slots).</summary>
    public BlockLayout Layout { get; }

    /// <summary>
    /// The fraction of (query block, key block) pairs attended: true entries of the mask over <c>B H nQ nK</c> (0 without
    /// visual tokens; 1 for dense attention). Summed on the device; the first read waits for <see cref="Stream"/>.
    /// </summary>
    /// <exception cref="ObjectDisposedException">Read for the first time after the result was disposed.</exception>
    /// <exception cref="AcceleratorException">The call's work failed on the device.</exception>
    public double Density => Read(_density);

    /// <summary>The critical key blocks <c>[B, H, nQ, nK]</c>, with <see cref="AttentionDiagnostics.Mask"/> (downloaded on first read).</summary>
    /// <exception cref="ObjectDisposedException">Read for the first time after the result was disposed.</exception>
    public HostTensor<bool>? Mask => ReadOptional(MaskDownload);

    /// <summary>IPAR's block masses <c>P</c> <c>[B, H, nQ, nK]</c>, with <see cref="AttentionDiagnostics.BlockMass"/> (downloaded on first read).</summary>
    /// <exception cref="ObjectDisposedException">Read for the first time after the result was disposed.</exception>
    public HostTensor<float>? BlockMass => ReadOptional(BlockMassDownload);

    /// <summary>IPAR's text masses <c>T</c> <c>[B, H, nQ]</c>, with <see cref="AttentionDiagnostics.BlockMass"/> (downloaded on first read).</summary>
    /// <exception cref="ObjectDisposedException">Read for the first time after the result was disposed.</exception>
    public HostTensor<float>? TextMass => ReadOptional(TextMassDownload);

    /// <summary>The rectification factor <c>R</c> <c>[B, H, nQ]</c> (all ones for plain block-sparse attention), with <see cref="AttentionDiagnostics.Rectification"/> (downloaded on first read).</summary>
    /// <exception cref="ObjectDisposedException">Read for the first time after the result was disposed.</exception>
    public HostTensor<float>? Rectification => ReadOptional(RectificationDownload);

    /// <summary>The compensation <c>C</c> <c>[B, H, nQ, D]</c> (zeros for plain block-sparse attention), with <see cref="AttentionDiagnostics.Rectification"/> (downloaded on first read).</summary>
    /// <exception cref="ObjectDisposedException">Read for the first time after the result was disposed.</exception>
    public HostTensor<float>? Compensation => ReadOptional(CompensationDownload);

    /// <summary>GAPR's verdict <c>[B, H, nQ, nK]</c> (all false for plain block-sparse attention), with <see cref="AttentionDiagnostics.Compensable"/> (downloaded on first read).</summary>
    /// <exception cref="ObjectDisposedException">Read for the first time after the result was disposed.</exception>
    public HostTensor<bool>? Compensable => ReadOptional(CompensableDownload);

    internal Lazy<HostTensor<bool>?>? MaskDownload { get; init; }
    internal Lazy<HostTensor<float>?>? BlockMassDownload { get; init; }
    internal Lazy<HostTensor<float>?>? TextMassDownload { get; init; }
    internal Lazy<HostTensor<float>?>? RectificationDownload { get; init; }
    internal Lazy<HostTensor<float>?>? CompensationDownload { get; init; }
    internal Lazy<HostTensor<bool>?>? CompensableDownload { get; init; }

    /// <summary>
    /// Hands <see cref="Output"/> and the device buffers behind the diagnostics back to the accelerator's scratch pool
    /// (reused by later calls on <see cref="Stream"/> at once, by calls on other streams once the device has passed this
    /// call). Diagnostics already read stay readable. Dispose only after work on other streams that reads
    /// <see cref="Output"/> has finished.
    /// </summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        Output.Dispose();
        _downloads?.Dispose();
    }

    private TValue Read<TValue>(Lazy<TValue> lazy)
    {
        if (!lazy.IsValueCreated) ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        return lazy.Value;
    }

    private TValue? ReadOptional<TValue>(Lazy<TValue?>? lazy) where TValue : class => lazy is null ? null : Read(lazy);
}
