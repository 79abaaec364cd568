using System.Globalization;
using RectifiedSpaAttn.Generators.Ir;

namespace RectifiedSpaAttn.Generators.Backends.OpenCL;

/// <summary>Constants spelled so that OpenCL C reads back exactly the IR's value and type.</summary>
internal static class OpenCLLiterals
{
    public static string Of(IrConst c) => c.Type switch
    {
        IrType.Bool => c.Bits != 0 ? "true" : "false",
        IrType.U8 => $"((uchar){(byte)c.Bits}u)",
        IrType.U16 => $"((ushort){(ushort)c.Bits}u)",
        IrType.I32 => Int32((int)c.Bits),
        IrType.U32 => ((uint)c.Bits).ToString(CultureInfo.InvariantCulture) + "u",
        IrType.I64 => Int64(c.Bits),
        IrType.U64 => ((ulong)c.Bits).ToString(CultureInfo.InvariantCulture) + "UL",
        IrType.F32 => Single((float)c.Float),
        IrType.F64 => Double(c.Float),
        // 16-bit float constants only appear as stored bits: round like a store would.
        IrType.BF16 => $"rsa_f32_to_bf16({Single((float)c.Float)})",
        _ => $"rsa_f32_to_f16({Single((float)c.Float)})",
    };

    public static string Int32(int v) => v == int.MinValue ? "(-2147483647-1)" : v < 0 ? $"({v})" : v.ToString(CultureInfo.InvariantCulture);

    public static string Int64(long v) => v == long.MinValue ? "(-9223372036854775807L-1L)" : v < 0 ? $"({v}L)" : v.ToString(CultureInfo.InvariantCulture) + "L";

    public static string Single(float v)
    {
        if (float.IsNaN(v) || float.IsInfinity(v) || (v == 0 && float.IsNegativeInfinity(1 / v)))
            return $"as_float(0x{SingleBits(v):x8}u)";
        return Signed(WithPoint(v.ToString("R", CultureInfo.InvariantCulture)) + "f");
    }

    public static string Double(double v)
    {
        if (double.IsNaN(v) || double.IsInfinity(v) || (v == 0 && double.IsNegativeInfinity(1 / v)))
            return $"as_double(0x{System.BitConverter.DoubleToInt64Bits(v):x16}UL)";
        return Signed(WithPoint(v.ToString("R", CultureInfo.InvariantCulture)));
    }

    private static unsafe uint SingleBits(float v) => *(uint*)&v;

    // "2" would be an int in C; "1E-05" is already a floating literal.
    private static string WithPoint(string s) => s.IndexOf('.') >= 0 || s.IndexOf('E') >= 0 ? s : s + ".0";

    // A parenthesised negative literal cannot merge with a preceding minus into "--".
    private static string Signed(string s) => s.StartsWith("-", System.StringComparison.Ordinal) ? "(" + s + ")" : s;
}
