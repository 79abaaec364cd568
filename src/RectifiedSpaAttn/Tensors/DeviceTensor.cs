using RectifiedSpaAttn.Compute;

namespace RectifiedSpaAttn.Tensors;

/// <summary>
/// A dense, row-major tensor in the memory of one <see cref="Compute.Accelerator"/>: the device-side counterpart of
/// <see cref="HostTensor"/>. Attention tensors use the layout <c>[B, H, S, D]</c>. Create one with
/// <see cref="Upload(Accelerator, HostTensor, string?)"/> or <see cref="DeviceTensor{T}.Allocate"/>; bring it back with
/// <see cref="ToHost"/>. Disposing frees the device memory (an output of <see cref="Attention.AttentionOperations"/> goes
/// back to the accelerator's scratch pool instead, for the next call to reuse).
/// </summary>
public abstract class DeviceTensor : IDisposable
{
    private readonly int[] _shape;

    private protected DeviceTensor(Accelerator accelerator, ReadOnlySpan<int> shape)
    {
        ArgumentNullException.ThrowIfNull(accelerator);
        _shape = shape.ToArray();
        long length = 1;
        foreach (int extent in _shape)
        {
            if (extent < 0) throw new ArgumentException($"Tensor extents must not be negative, got [{string.Join(", ", _shape)}].", nameof(shape));
            length = checked(length * extent);
        }
        Accelerator = accelerator;
        Length = length;
    }

    /// <summary>The accelerator whose memory holds the elements.</summary>
    public Accelerator Accelerator { get; }

    /// <summary>The extents, outermost first.</summary>
    public ReadOnlySpan<int> Shape => _shape;

    /// <summary>The number of dimensions.</summary>
    public int Rank => _shape.Length;

    /// <summary>The number of elements.</summary>
    public long Length { get; }

    /// <summary>The element type.</summary>
    public abstract ElementType ElementType { get; }

    /// <summary>Whether <see cref="Dispose"/> has been called.</summary>
    public abstract bool IsDisposed { get; }

    /// <summary>The shape as text, e.g. <c>[1, 24, 16384, 128]</c>.</summary>
    public string ShapeText => "[" + string.Join(", ", _shape) + "]";

    /// <summary>Copies the elements into a new host tensor of the same shape and element type.</summary>
    public HostTensor ToHost() => ToHostCore();

    private protected abstract HostTensor ToHostCore();

    /// <summary>Frees the device memory, or hands it back to the pool it came from.</summary>
    public abstract void Dispose();

    /// <summary>
    /// Copies <paramref name="source"/> to <paramref name="accelerator"/>. Floating-point inputs must be finite: attention
    /// cannot recover from a NaN or infinity, so it is refused here, where the position can still be named.
    /// </summary>
    /// <param name="accelerator">The device.</param>
    /// <param name="source">The host tensor.</param>
    /// <param name="sourceName">What to call <paramref name="source"/> in error messages; by default the caller's
    /// expression for it (<c>q</c>, <c>k</c>, <c>v</c>), as <see cref="ArgumentNullException.ThrowIfNull(object?, string?)"/> does.</param>
    /// <returns>A <see cref="DeviceTensor{T}"/> of <paramref name="source"/>'s element type.</returns>
    /// <exception cref="ArgumentException"><paramref name="source"/> holds a NaN or infinity, or has an element type the device API does not take (bf16, fp16, fp32, bool, int32).</exception>
    public static DeviceTensor Upload(Accelerator accelerator, HostTensor source, [System.Runtime.CompilerServices.CallerArgumentExpression(nameof(source))] string? sourceName = null)
    {
        ArgumentNullException.ThrowIfNull(source);
        return source switch
        {
            HostTensor<float> f => DeviceTensor<float>.Upload(accelerator, f, sourceName),
            HostTensor<Half> h => DeviceTensor<Half>.Upload(accelerator, h, sourceName),
            HostTensor<Numerics.BFloat16> b => DeviceTensor<Numerics.BFloat16>.Upload(accelerator, b, sourceName),
            HostTensor<int> i => DeviceTensor<int>.Upload(accelerator, i, sourceName),
            HostTensor<bool> m => DeviceTensor<bool>.Upload(accelerator, m, sourceName),
            _ => throw new ArgumentException(
                $"A {source.ElementType} tensor cannot be uploaded; device tensors hold BFloat16, Float16, Float32, Int32 or Bool (convert fp64 with ConvertTo<float>()).",
                nameof(source)),
        };
    }

    /// <inheritdoc/>
    public override string ToString() => $"{ElementType} {ShapeText} on {Accelerator.Name}";
}
