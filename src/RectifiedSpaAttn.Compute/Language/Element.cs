using RectifiedSpaAttn.Numerics;

namespace RectifiedSpaAttn.Compute;

/// <summary>
/// Conversions between a kernel's element type parameter <c>T</c> (float, Half or BFloat16 in a specialised kernel) and
/// float, so one generic kernel body serves every element type. Both round to nearest even where they narrow. They also
/// work on the host.
/// </summary>
public static class Element
{
    /// <summary><paramref name="value"/> widened to float (exact for Half and BFloat16).</summary>
    public static float ToFloat<T>(T value) where T : unmanaged => value switch
    {
        float f => f,
        Half h => (float)h,
        BFloat16 b => b.ToSingle(),
        double d => (float)d,
        int i => i,
        _ => throw new NotSupportedException($"Element.ToFloat does not convert {typeof(T).Name}."),
    };

    /// <summary><paramref name="value"/> as a <typeparamref name="T"/>, rounded to nearest even when <typeparamref name="T"/> is narrower.</summary>
    public static T FromFloat<T>(float value) where T : unmanaged
    {
        if (typeof(T) == typeof(float)) return (T)(object)value;
        if (typeof(T) == typeof(Half)) return (T)(object)(Half)value;
        if (typeof(T) == typeof(BFloat16)) return (T)(object)BFloat16.FromSingle(value);
        if (typeof(T) == typeof(double)) return (T)(object)(double)value;
        throw new NotSupportedException($"Element.FromFloat does not convert to {typeof(T).Name}.");
    }
}
