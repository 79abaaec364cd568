using RectifiedSpaAttn.Compute;
using RectifiedSpaAttn.Attention.Pipeline;
using RectifiedSpaAttn.Tensors;

namespace RectifiedSpaAttn.Attention;

/// <summary>
/// Attention on device tensors, on whatever accelerator holds them (CUDA, OpenCL or the CPU): dense attention,
/// block-sparse attention, and Rectified SpaAttn (arXiv 2511.19835). Every step runs on the accelerator as a kernel
/// compiled from C# by the project's generator (the CPU accelerator uses hand-vectorised host code for the attention
/// itself). Inputs are <c>[B, H, S, D]</c> tensors of one element type (<see cref="float"/>, <see cref="Half"/> or
/// <see cref="Numerics.BFloat16"/>) on one accelerator; the output has the same shape and type.
/// <para>
/// Every call enqueues all its work (kernels and host-to-device copies of the curve order and masks) on one
/// <see cref="AcceleratorStream"/>, the accelerator's <see cref="Accelerator.DefaultStream"/> unless one is passed, and
/// returns without waiting for the device: queue the next work behind it on the same stream, or call
/// <see cref="AcceleratorStream.Synchronize"/> before reading the output on the host from another stream. Copies
/// without a stream argument (<see cref="DeviceTensor{T}.ToHost"/>) are ordered with the default stream, so after a
/// call on the default stream they simply wait for it. The density and diagnostics of an
/// <see cref="AttentionResult{T}"/> are downloaded when first read. Calls on different streams, from different
/// threads, may run at once. Scratch memory is pooled per accelerator and the output of a disposed result is reused,
/// so repeated calls of one shape allocate no device memory (<see cref="Accelerator.AllocationCount"/>).
/// </para>
/// </summary>
/// <example>
/// <code>
/// using var context = Context.Create();
/// using Accelerator accelerator = context.CreateBest();
/// using var q = DeviceTensor&lt;BFloat16&gt;.Upload(accelerator, hostQ);   // [B, H, S, D]
/// using var k = DeviceTensor&lt;BFloat16&gt;.Upload(accelerator, hostK);
/// using var v = DeviceTensor&lt;BFloat16&gt;.Upload(accelerator, hostV);
/// var options = new RectifiedSpaAttnOptions { DropRate = 0.8, Tau = 0.3 };
/// using AttentionResult&lt;BFloat16&gt; result = AttentionOperations.Rectified(q, k, v, options, AttentionDiagnostics.Mask);
/// HostTensor&lt;BFloat16&gt; output = result.Output.ToHost();
/// Console.WriteLine($"density {result.Density:P1}");              // waits for the device, downloads one number
/// </code>
/// </example>
public static class AttentionOperations
{
    /// <summary>
    /// Dense attention, <c>softmax(q k^T / sqrt(D)) v</c>, over every valid key. Only the text and video layout of
    /// <paramref name="options"/> matter (text slots, valid text slots, <see cref="RectifiedSpaAttnOptions.VideoLayout"/>).
    /// </summary>
    /// <param name="q">Queries <c>[B, H, S, D]</c>.</param>
    /// <param name="k">Keys, same shape and accelerator.</param>
    /// <param name="v">Values, same shape and accelerator.</param>
    /// <param name="options">The token layout; null means no text tokens and no video layout.</param>
    /// <param name="stream">The stream to enqueue the work on; null for the accelerator's default stream.</param>
    /// <returns>The output <c>[B, H, S, D]</c> on the same accelerator, written once <paramref name="stream"/> has passed the call; the caller disposes it (its memory goes back to the scratch pool).</returns>
    /// <exception cref="ArgumentException">Shapes, element types or accelerators do not match, or the options are invalid.</exception>
    /// <exception cref="NotSupportedException">No kernel is built for this element type and head dim (the message lists the built ones).</exception>
    /// <exception cref="ObjectDisposedException"><paramref name="stream"/> was disposed.</exception>
    public static DeviceTensor<T> Dense<T>(
        DeviceTensor<T> q, DeviceTensor<T> k, DeviceTensor<T> v, RectifiedSpaAttnOptions? options = null, AcceleratorStream? stream = null)
        where T : unmanaged
    {
        AttentionResult<T> result = AttentionPipeline.Run(q, k, v, options ?? new RectifiedSpaAttnOptions(), AttentionMethod.Dense, AttentionDiagnostics.None, stream);
        return result.Output;
    }

    /// <summary>
    /// Plain block-sparse attention: critical blocks selected as <paramref name="options"/> says (or its
    /// <see cref="RectifiedSpaAttnOptions.CriticalMask"/> used unchanged), no rectification.
    /// </summary>
    /// <inheritdoc cref="Rectified{T}"/>
    public static AttentionResult<T> BlockSparse<T>(
        DeviceTensor<T> q, DeviceTensor<T> k, DeviceTensor<T> v, RectifiedSpaAttnOptions options, AttentionDiagnostics diagnostics = AttentionDiagnostics.None,
        AcceleratorStream? stream = null)
        where T : unmanaged
        => AttentionPipeline.Run(q, k, v, options, AttentionMethod.BlockSparse, diagnostics, stream);

    /// <summary>
    /// Rectified SpaAttn: pooling, pooled softmax with IPAR, critical-block selection (or the supplied
    /// <see cref="RectifiedSpaAttnOptions.CriticalMask"/>), GAPR, block-sparse flash attention and the rectification
    /// <c>O = R Os + C</c> fused into its epilogue; dense attention for valid text queries; zero rows for invalid text slots.
    /// </summary>
    /// <param name="q">Queries <c>[B, H, S, D]</c>.</param>
    /// <param name="k">Keys, same shape and accelerator.</param>
    /// <param name="v">Values, same shape and accelerator.</param>
    /// <param name="options">Block sizes, selection rule, text and video layout.</param>
    /// <param name="diagnostics">Which intermediates the result may download (each when first read).</param>
    /// <param name="stream">The stream to enqueue the work on; null for the accelerator's default stream.</param>
    /// <returns>The output on the same accelerator (written once <paramref name="stream"/> has passed the call), the density and the requested diagnostics; dispose it to hand the output and its buffers back to the scratch pool.</returns>
    /// <exception cref="ArgumentException">Shapes, element types or accelerators do not match, the stream belongs to another accelerator, or the options are invalid for this input.</exception>
    /// <exception cref="NotSupportedException">No kernel is built for this element type, head dim and block sizes (the message lists the built ones).</exception>
    /// <exception cref="ObjectDisposedException"><paramref name="stream"/> was disposed.</exception>
    public static AttentionResult<T> Rectified<T>(
        DeviceTensor<T> q, DeviceTensor<T> k, DeviceTensor<T> v, RectifiedSpaAttnOptions options, AttentionDiagnostics diagnostics = AttentionDiagnostics.None,
        AcceleratorStream? stream = null)
        where T : unmanaged
        => AttentionPipeline.Run(q, k, v, options, AttentionMethod.Rectified, diagnostics, stream);

    /// <summary>
    /// Runs <paramref name="method"/>: <see cref="Dense{T}"/>, <see cref="BlockSparse{T}"/> or <see cref="Rectified{T}"/>
    /// (for dense attention the result's density is 1 and no diagnostics are produced).
    /// </summary>
    /// <param name="method">What to compute.</param>
    /// <param name="q">Queries <c>[B, H, S, D]</c>.</param>
    /// <param name="k">Keys, same shape and accelerator.</param>
    /// <param name="v">Values, same shape and accelerator.</param>
    /// <param name="options">Block sizes, selection rule, text and video layout.</param>
    /// <param name="diagnostics">Which intermediates the result may download (each when first read).</param>
    /// <param name="stream">The stream to enqueue the work on; null for the accelerator's default stream.</param>
    /// <returns>The output on the same accelerator (written once <paramref name="stream"/> has passed the call), the density and the requested diagnostics; dispose it to hand the output and its buffers back to the scratch pool.</returns>
    /// <exception cref="ArgumentException">Shapes, element types or accelerators do not match, the stream belongs to another accelerator, or the options are invalid for this input.</exception>
    /// <exception cref="NotSupportedException">No kernel is built for this element type, head dim and block sizes (the message lists the built ones).</exception>
    /// <exception cref="ObjectDisposedException"><paramref name="stream"/> was disposed.</exception>
    public static AttentionResult<T> Run<T>(
        AttentionMethod method, DeviceTensor<T> q, DeviceTensor<T> k, DeviceTensor<T> v, RectifiedSpaAttnOptions options,
        AttentionDiagnostics diagnostics = AttentionDiagnostics.None, AcceleratorStream? stream = null)
        where T : unmanaged
        => AttentionPipeline.Run(q, k, v, options, method, diagnostics, stream);
}
