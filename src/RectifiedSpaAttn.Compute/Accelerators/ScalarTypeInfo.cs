namespace RectifiedSpaAttn.Compute;

/// <summary>Sizes of <see cref="ScalarType"/> values, in memory and as kernel parameters.</summary>
internal static class ScalarTypeInfo
{
    /// <summary>Bytes one element of a buffer of this type occupies.</summary>
    public static int ElementSize(ScalarType type) => type switch
    {
        ScalarType.Bool or ScalarType.UInt8 => 1,
        ScalarType.UInt16 or ScalarType.Float16 or ScalarType.BFloat16 => 2,
        ScalarType.Int32 or ScalarType.UInt32 or ScalarType.Float32 => 4,
        ScalarType.Int64 or ScalarType.UInt64 or ScalarType.Float64 => 8,
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, "Unknown scalar type."),
    };

    /// <summary>
    /// Bytes a scalar parameter of this type takes at launch: its element size, except bool, which is passed as a
    /// 32-bit integer (PTX <c>.u32</c>, OpenCL <c>uint</c>: OpenCL forbids bool kernel arguments).
    /// </summary>
    public static int ParameterSize(ScalarType type) => type == ScalarType.Bool ? 4 : ElementSize(type);
}
