using RectifiedSpaAttn.Compute;
using RectifiedSpaAttn.Kernels.Attention;
using RectifiedSpaAttn.Reference;
using RectifiedSpaAttn.Tensors;

namespace RectifiedSpaAttn.Attention.Pipeline;

/// <summary>Checks the device inputs of an attention call and derives its shape, with messages that name the culprit.</summary>
internal static class AttentionInputCheck
{
    public static AttentionShape Validate<T>(DeviceTensor<T> q, DeviceTensor<T> k, DeviceTensor<T> v, RectifiedSpaAttnOptions options)
        where T : unmanaged
    {
        ArgumentNullException.ThrowIfNull(q);
        ArgumentNullException.ThrowIfNull(k);
        ArgumentNullException.ThrowIfNull(v);
        ArgumentNullException.ThrowIfNull(options);
        if (!ElementTypes.Of<T>().IsAttentionInput())
            throw new ArgumentException($"Attention takes BFloat16, Float16 or Float32 tensors, got {ElementTypes.Of<T>()}.", nameof(q));
        foreach (var (tensor, name) in new[] { (q, nameof(q)), (k, nameof(k)), (v, nameof(v)) })
        {
            ObjectDisposedException.ThrowIf(tensor.IsDisposed, tensor);
            AttentionInputs.RequireRank4(tensor.Shape, tensor.ShapeText, name);
            if (!ReferenceEquals(tensor.Accelerator, q.Accelerator))
                throw new ArgumentException($"q, k and v must be on one accelerator; q is on {q.Accelerator}, {name} on {tensor.Accelerator}.", name);
        }
        AttentionInputs.RequireSameShape(q.Shape, k.Shape, v.Shape, q.ShapeText, k.ShapeText, v.ShapeText);

        int batch = q.Shape[0], heads = q.Shape[1], seq = q.Shape[2], dim = q.Shape[3];
        options.Validate(batch, heads, seq);
        return new AttentionShape(batch, heads, seq, dim, options.TextTokens, options.EffectiveValidTextTokens, options.QueryBlockSize, options.KeyBlockSize);
    }

    /// <summary><paramref name="stream"/>, or the accelerator's default stream when null; refuses a stream of another accelerator or a disposed one.</summary>
    public static AcceleratorStream Stream(AcceleratorStream? stream, Accelerator accelerator)
    {
        if (stream is null) return accelerator.DefaultStream;
        if (!ReferenceEquals(stream.Accelerator, accelerator))
            throw new ArgumentException($"The stream belongs to {stream.Accelerator}, but q, k and v are on {accelerator}.", nameof(stream));
        ObjectDisposedException.ThrowIf(stream.IsDisposed, stream);
        return stream;
    }
}
