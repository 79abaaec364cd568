using System.Numerics.Tensors;
using System.Runtime.InteropServices;

namespace RectifiedSpaAttn.Tensors;

/// <summary>
/// A dense, row-major tensor of <typeparamref name="T"/> in host memory, backed by one managed array.
/// Attention tensors use the layout <c>[B, H, S, D]</c>; block masks use <c>[B, H, nQ, nK]</c>.
/// </summary>
/// <typeparam name="T">bf16 (<see cref="Numerics.BFloat16"/>), <see cref="Half"/>, <see cref="float"/>,
/// <see cref="double"/>, <see cref="bool"/>, <see cref="ushort"/>, <see cref="int"/> or <see cref="long"/>.</typeparam>
public sealed class HostTensor<T> : HostTensor where T : unmanaged
{
    private readonly T[] _data;

    /// <summary>Allocates a zero-filled tensor of the given shape.</summary>
    public HostTensor(params int[] shape) : this((ReadOnlySpan<int>)shape) { }

    /// <summary>Allocates a zero-filled tensor of the given shape.</summary>
    public HostTensor(ReadOnlySpan<int> shape) : base(shape)
    {
        ElementType = ElementTypes.Of<T>();
        _data = new T[checked((int)Length)];
    }

    /// <summary>Wraps <paramref name="data"/> (not copied) as a tensor of the given shape.</summary>
    /// <exception cref="ArgumentException">The array length differs from the shape's element count.</exception>
    public HostTensor(T[] data, params int[] shape) : base(shape)
    {
        ArgumentNullException.ThrowIfNull(data);
        ElementType = ElementTypes.Of<T>();
        if (data.Length != Length)
            throw new ArgumentException($"Data has {data.Length} elements but shape {ShapeText} needs {Length}.", nameof(data));
        _data = data;
    }

    /// <inheritdoc/>
    public override ElementType ElementType { get; }

    /// <summary>The elements, row-major.</summary>
    public Span<T> Span => _data;

    /// <summary>The backing array (row-major), shared with this tensor.</summary>
    public T[] Data => _data;

    /// <summary>The element at a full index.</summary>
    public ref T this[params ReadOnlySpan<int> index] => ref _data[Offset(index)];

    /// <summary>Row-major offset of a full index, checked against the shape.</summary>
    public long Offset(ReadOnlySpan<int> index)
    {
        if (index.Length != Rank) throw new ArgumentException($"Index has {index.Length} components; tensor rank is {Rank}.", nameof(index));
        long offset = 0;
        for (int d = 0; d < Rank; d++)
        {
            if ((uint)index[d] >= (uint)Shape[d])
                throw new ArgumentOutOfRangeException(nameof(index), $"Index {index[d]} out of range for dimension {d} of {ShapeText}.");
            offset = offset * Shape[d] + index[d];
        }
        return offset;
    }

    /// <summary>
    /// The contiguous innermost row at a prefix index: for a <c>[B, H, S, D]</c> tensor, <c>Row(b, h, s)</c> is the
    /// D-vector of token s, and <c>Row(b, h)</c> is the whole <c>[S, D]</c> slice of one head.
    /// </summary>
    public Span<T> Row(params ReadOnlySpan<int> prefix)
    {
        if (prefix.Length > Rank) throw new ArgumentException("Prefix longer than the rank.", nameof(prefix));
        long offset = 0, inner = 1;
        for (int d = 0; d < Rank; d++)
        {
            if (d < prefix.Length)
            {
                if ((uint)prefix[d] >= (uint)Shape[d])
                    throw new ArgumentOutOfRangeException(nameof(prefix), $"Index {prefix[d]} out of range for dimension {d} of {ShapeText}.");
                offset = offset * Shape[d] + prefix[d];
            }
            else
            {
                offset *= Shape[d];
                inner *= Shape[d];
            }
        }
        return _data.AsSpan(checked((int)offset), checked((int)inner));
    }

    private protected override void ThrowIfNotFiniteCore(string name) => FiniteCheck.Require<T>(_data, Shape, name);

    /// <inheritdoc/>
    public override ReadOnlySpan<byte> AsBytes() => MemoryMarshal.AsBytes(_data.AsSpan());

    /// <summary>A writable view of the elements' bytes.</summary>
    public Span<byte> AsWritableBytes() => MemoryMarshal.AsBytes(_data.AsSpan());

    /// <summary>Same data, new shape with the same element count (the array is shared).</summary>
    public HostTensor<T> Reshape(params int[] shape) => new(_data, shape);

    /// <summary>A deep copy.</summary>
    public HostTensor<T> Clone() => new((T[])_data.Clone(), Shape.ToArray());

    /// <summary>A <see cref="TensorSpan{T}"/> over the same memory, for System.Numerics.Tensors interop.</summary>
    public TensorSpan<T> AsTensorSpan() => new(_data, ToNative(Shape));

    /// <summary>A copy as a <see cref="Tensor{T}"/> (System.Numerics.Tensors).</summary>
    public Tensor<T> ToTensor() => Tensor.Create((T[])_data.Clone(), ToNative(Shape));

    /// <summary>Copies a dense <see cref="Tensor{T}"/> into a new host tensor.</summary>
    public static HostTensor<T> FromTensor(Tensor<T> tensor)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        var shape = new int[tensor.Rank];
        for (int d = 0; d < shape.Length; d++) shape[d] = checked((int)tensor.Lengths[d]);
        var result = new HostTensor<T>(shape);
        tensor.AsReadOnlyTensorSpan().FlattenTo(result._data);
        return result;
    }

    /// <summary>Copies a span into a new tensor of the given shape.</summary>
    public static HostTensor<T> FromSpan(ReadOnlySpan<T> data, params int[] shape)
    {
        var result = new HostTensor<T>(shape);
        if (data.Length != result.Length)
            throw new ArgumentException($"Span has {data.Length} elements but shape {result.ShapeText} needs {result.Length}.", nameof(data));
        data.CopyTo(result._data);
        return result;
    }

    /// <inheritdoc/>
    public override HostTensor<float> ToSingle() => typeof(T) == typeof(float) ? (HostTensor<float>)(object)Clone() : ElementConvert.Convert<float>(this);

    /// <inheritdoc/>
    public override HostTensor<double> ToDouble() => typeof(T) == typeof(double) ? (HostTensor<double>)(object)Clone() : ElementConvert.Convert<double>(this);

    private static nint[] ToNative(ReadOnlySpan<int> shape)
    {
        var lengths = new nint[shape.Length];
        for (int d = 0; d < shape.Length; d++) lengths[d] = shape[d];
        return lengths;
    }
}
