namespace RectifiedSpaAttn.Tensors;

/// <summary>
/// A dense, row-major (C order) tensor in host memory whose element type is known only at run time:
/// what a file reader returns. Use <see cref="HostTensor{T}"/> for typed access.
/// </summary>
public abstract class HostTensor
{
    private readonly int[] _shape;

    private protected HostTensor(ReadOnlySpan<int> shape)
    {
        _shape = shape.ToArray();
        long length = 1;
        foreach (int extent in _shape)
        {
            if (extent < 0) throw new ArgumentException($"Negative extent in shape [{string.Join(", ", _shape)}].", nameof(shape));
            length = checked(length * extent);
        }
        Length = length;
    }

    /// <summary>The extents, outermost first.</summary>
    public ReadOnlySpan<int> Shape => _shape;

    /// <summary>Number of dimensions.</summary>
    public int Rank => _shape.Length;

    /// <summary>Total number of elements.</summary>
    public long Length { get; }

    /// <summary>The element type.</summary>
    public abstract ElementType ElementType { get; }

    /// <summary>Size of the data in bytes.</summary>
    public long ByteLength => Length * ElementType.SizeInBytes();

    /// <summary>The elements' bytes, little-endian, row-major.</summary>
    public abstract ReadOnlySpan<byte> AsBytes();

    /// <summary>The shape as text, e.g. <c>[1, 2, 4096, 64]</c>.</summary>
    public string ShapeText => "[" + string.Join(", ", _shape) + "]";

    /// <summary>Converts every element to <see cref="float"/> (bool to 0/1; integers by value).</summary>
    public abstract HostTensor<float> ToSingle();

    /// <summary>Converts every element to <see cref="double"/> (bool to 0/1; integers by value).</summary>
    public abstract HostTensor<double> ToDouble();

    /// <summary>A copy with every element converted to <typeparamref name="TTo"/> through <see cref="double"/>.</summary>
    public HostTensor<TTo> ConvertTo<TTo>() where TTo : unmanaged => ElementConvert.Convert<TTo>(this);

    /// <summary>
    /// Throws when a floating-point element is NaN or infinite, naming the tensor and the first such index, as the
    /// attention entry points do; integer and bool tensors always pass. For checking inputs before splitting them.
    /// </summary>
    /// <param name="name">What the message calls the tensor (q, k, v).</param>
    /// <exception cref="ArgumentException">An element is NaN or infinite.</exception>
    public void ThrowIfNotFinite(string name)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ThrowIfNotFiniteCore(name);
    }

    /// <summary>The check of <see cref="ThrowIfNotFinite"/>; <see cref="HostTensor{T}"/> checks its floating-point elements.</summary>
    private protected virtual void ThrowIfNotFiniteCore(string name) { }

    /// <inheritdoc/>
    public override string ToString() => $"{ElementType} {ShapeText}";
}
