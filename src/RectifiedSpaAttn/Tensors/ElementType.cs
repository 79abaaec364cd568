namespace RectifiedSpaAttn.Tensors;

/// <summary>The element types a tensor can hold, named as in the .safetensors format.</summary>
public enum ElementType
{
    /// <summary>Brain floating point, 16 bits (<see cref="Numerics.BFloat16"/>).</summary>
    BFloat16,
    /// <summary>IEEE 754 half precision (<see cref="System.Half"/>).</summary>
    Float16,
    /// <summary>IEEE 754 single precision.</summary>
    Float32,
    /// <summary>IEEE 754 double precision.</summary>
    Float64,
    /// <summary>Boolean, one byte per element (0 or 1).</summary>
    Bool,
    /// <summary>Unsigned 16-bit integer.</summary>
    UInt16,
    /// <summary>Signed 32-bit integer.</summary>
    Int32,
    /// <summary>Signed 64-bit integer.</summary>
    Int64,
}

/// <summary>Facts about <see cref="ElementType"/> values and their CLR counterparts.</summary>
public static class ElementTypes
{
    /// <summary>Size of one element in bytes.</summary>
    public static int SizeInBytes(this ElementType type) => type switch
    {
        ElementType.BFloat16 or ElementType.Float16 or ElementType.UInt16 => 2,
        ElementType.Float32 or ElementType.Int32 => 4,
        ElementType.Float64 or ElementType.Int64 => 8,
        ElementType.Bool => 1,
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, "Unknown element type."),
    };

    /// <summary>The element type that corresponds to the CLR type <typeparamref name="T"/>.</summary>
    /// <exception cref="NotSupportedException"><typeparamref name="T"/> is not a tensor element type.</exception>
    public static ElementType Of<T>() where T : unmanaged
    {
        if (typeof(T) == typeof(float)) return ElementType.Float32;
        if (typeof(T) == typeof(Numerics.BFloat16)) return ElementType.BFloat16;
        if (typeof(T) == typeof(Half)) return ElementType.Float16;
        if (typeof(T) == typeof(double)) return ElementType.Float64;
        if (typeof(T) == typeof(bool)) return ElementType.Bool;
        if (typeof(T) == typeof(ushort)) return ElementType.UInt16;
        if (typeof(T) == typeof(int)) return ElementType.Int32;
        if (typeof(T) == typeof(long)) return ElementType.Int64;
        throw new NotSupportedException($"{typeof(T).Name} is not a tensor element type; supported: bf16, f16, f32, f64, bool, u16, i32, i64.");
    }

    /// <summary>True for the three floating-point types attention accepts as input (bf16, fp16, fp32).</summary>
    public static bool IsAttentionInput(this ElementType type) =>
        type is ElementType.BFloat16 or ElementType.Float16 or ElementType.Float32;
}
