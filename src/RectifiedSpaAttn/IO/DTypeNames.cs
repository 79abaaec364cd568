using RectifiedSpaAttn.Tensors;

namespace RectifiedSpaAttn.IO;

/// <summary>How each <see cref="ElementType"/> is spelled in .safetensors headers and .npy <c>descr</c> strings.</summary>
internal static class DTypeNames
{
    /// <summary>The safetensors dtypes we read and write, for error messages.</summary>
    public const string SupportedSafeTensors = "BF16, F16, F32, F64, BOOL, U16, I32, I64";

    /// <summary>The npy descrs we read and write, for error messages.</summary>
    public const string SupportedNpy = "'<f2', '<f4', '<f8', '|b1', '<u2', '<i4', '<i8'";

    /// <summary>The safetensors name of <paramref name="type"/>.</summary>
    public static string ToSafeTensors(ElementType type) => type switch
    {
        ElementType.BFloat16 => "BF16",
        ElementType.Float16 => "F16",
        ElementType.Float32 => "F32",
        ElementType.Float64 => "F64",
        ElementType.Bool => "BOOL",
        ElementType.UInt16 => "U16",
        ElementType.Int32 => "I32",
        ElementType.Int64 => "I64",
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, "Unknown element type."),
    };

    /// <summary>Parses a safetensors dtype name (case-sensitive, as the format defines it).</summary>
    public static bool TryParseSafeTensors(string name, out ElementType type)
    {
        switch (name)
        {
            case "BF16": type = ElementType.BFloat16; return true;
            case "F16": type = ElementType.Float16; return true;
            case "F32": type = ElementType.Float32; return true;
            case "F64": type = ElementType.Float64; return true;
            case "BOOL": type = ElementType.Bool; return true;
            case "U16": type = ElementType.UInt16; return true;
            case "I32": type = ElementType.Int32; return true;
            case "I64": type = ElementType.Int64; return true;
            default: type = default; return false;
        }
    }

    /// <summary>
    /// Bytes per element of any dtype the safetensors format defines in whole bytes, read by us or not (U8, I8, F8_*,
    /// U32, U64, ...); null for sub-byte or unknown dtypes. Used to check the byte range of tensors that are skipped.
    /// </summary>
    public static int? SafeTensorsElementBytes(string name) => name switch
    {
        "BOOL" or "U8" or "I8" or "F8_E4M3" or "F8_E5M2" or "F8_E8M0" => 1,
        "I16" or "U16" or "F16" or "BF16" => 2,
        "I32" or "U32" or "F32" => 4,
        "I64" or "U64" or "F64" => 8,
        _ => null,
    };

    /// <summary>The npy descr of <paramref name="type"/>, or null when npy has no such dtype (bf16).</summary>
    public static string? ToNpy(ElementType type) => type switch
    {
        ElementType.Float16 => "<f2",
        ElementType.Float32 => "<f4",
        ElementType.Float64 => "<f8",
        ElementType.Bool => "|b1",
        ElementType.UInt16 => "<u2",
        ElementType.Int32 => "<i4",
        ElementType.Int64 => "<i8",
        _ => null,
    };

    /// <summary>
    /// Parses an npy descr. Returns null on success, otherwise the reason it is rejected (big-endian, object,
    /// unsupported), so the caller can say exactly what is wrong.
    /// </summary>
    public static string? TryParseNpy(string descr, out ElementType type)
    {
        type = default;
        if (descr.Length < 2) return $"dtype '{descr}' is not a valid npy descr";
        char order = descr[0];
        string code = descr[1..];
        if (code is "O" || code.StartsWith('O'))
            return $"dtype '{descr}' holds pickled Python objects, which are never read (unsafe and not numeric)";
        // Byte order is meaningless for one-byte bool, so '>b1' is accepted like '|b1'.
        if (order == '>' && code != "b1")
            return $"dtype '{descr}' is big-endian; only little-endian ('<') data is supported";
        // '<' is little-endian; '|' means byte order does not apply (one-byte types); '=' is native, which numpy
        // never writes to files but which means little-endian on every platform .NET runs on.
        if (order is not ('<' or '|' or '=' or '>'))
            return $"dtype '{descr}' has an unknown byte-order character '{order}'";
        switch (code)
        {
            case "f2": type = ElementType.Float16; return null;
            case "f4": type = ElementType.Float32; return null;
            case "f8": type = ElementType.Float64; return null;
            case "b1": type = ElementType.Bool; return null;
            case "u2": type = ElementType.UInt16; return null;
            case "i4": type = ElementType.Int32; return null;
            case "i8": type = ElementType.Int64; return null;
            default: return $"unsupported dtype '{descr}'; supported: {SupportedNpy}";
        }
    }
}
