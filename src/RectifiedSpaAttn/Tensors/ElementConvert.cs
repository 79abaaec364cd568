using RectifiedSpaAttn.Numerics;

namespace RectifiedSpaAttn.Tensors;

/// <summary>Element-wise conversion between tensor element types, through <see cref="double"/>.</summary>
internal static class ElementConvert
{
    public static HostTensor<TTo> Convert<TTo>(HostTensor source) where TTo : unmanaged
    {
        var result = new HostTensor<TTo>(source.Shape);
        var to = result.Span;
        switch (source)
        {
            case HostTensor<float> f: for (int i = 0; i < to.Length; i++) to[i] = FromDouble<TTo>(f.Span[i]); break;
            case HostTensor<double> d: for (int i = 0; i < to.Length; i++) to[i] = FromDouble<TTo>(d.Span[i]); break;
            case HostTensor<BFloat16> b: for (int i = 0; i < to.Length; i++) to[i] = FromDouble<TTo>(b.Span[i].ToSingle()); break;
            case HostTensor<Half> h: for (int i = 0; i < to.Length; i++) to[i] = FromDouble<TTo>((double)h.Span[i]); break;
            case HostTensor<bool> z: for (int i = 0; i < to.Length; i++) to[i] = FromDouble<TTo>(z.Span[i] ? 1 : 0); break;
            case HostTensor<ushort> u: for (int i = 0; i < to.Length; i++) to[i] = FromDouble<TTo>(u.Span[i]); break;
            case HostTensor<int> n: for (int i = 0; i < to.Length; i++) to[i] = FromDouble<TTo>(n.Span[i]); break;
            case HostTensor<long> l: for (int i = 0; i < to.Length; i++) to[i] = FromDouble<TTo>(l.Span[i]); break;
            default: throw new NotSupportedException($"Cannot convert from {source.ElementType}.");
        }
        return result;
    }

    /// <summary>
    /// Converts a double to <typeparamref name="T"/>: narrowing to float, bf16 and fp16 rounds once, to nearest
    /// even; bool is "non-zero"; integer targets throw on overflow.
    /// </summary>
    public static T FromDouble<T>(double value) where T : unmanaged
    {
        if (typeof(T) == typeof(double)) return (T)(object)value;
        if (typeof(T) == typeof(float)) return (T)(object)(float)value;
        if (typeof(T) == typeof(BFloat16)) return (T)(object)BFloat16.FromDouble(value);
        if (typeof(T) == typeof(Half)) return (T)(object)(Half)value;
        if (typeof(T) == typeof(bool)) return (T)(object)(value != 0);
        if (typeof(T) == typeof(ushort)) return (T)(object)checked((ushort)value);
        if (typeof(T) == typeof(int)) return (T)(object)checked((int)value);
        if (typeof(T) == typeof(long)) return (T)(object)checked((long)value);
        throw new NotSupportedException($"{typeof(T).Name} is not a tensor element type.");
    }
}
