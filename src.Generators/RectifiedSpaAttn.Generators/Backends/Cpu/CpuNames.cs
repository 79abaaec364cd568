using System;
using System.Globalization;
using System.Text;
using RectifiedSpaAttn.Generators.Ir;

namespace RectifiedSpaAttn.Generators.Backends.Cpu;

/// <summary>Spellings of IR types, constants and names in the generated C# (always fully qualified with <c>global::</c>).</summary>
internal static class CpuNames
{
    public const string Emulation = "global::RectifiedSpaAttn.Compute.Emulation.";
    public const string Memory = Emulation + "CpuMemory";
    public const string Math = Emulation + "CpuMath";
    public const string BFloat16 = "global::RectifiedSpaAttn.Numerics.BFloat16";
    public const string Half = "global::System.Half";
    public const string BitConverter = "global::System.BitConverter";
    public const string MathF = "global::System.MathF";
    public const string SystemMath = "global::System.Math";

    /// <summary>The C# type that holds a value of <paramref name="type"/> (fp16 and bf16 as their library structs).</summary>
    public static string TypeName(IrType type) => type switch
    {
        IrType.Bool => "bool",
        IrType.U8 => "byte",
        IrType.U16 => "ushort",
        IrType.I32 => "int",
        IrType.U32 => "uint",
        IrType.I64 => "long",
        IrType.U64 => "ulong",
        IrType.F16 => Half,
        IrType.BF16 => BFloat16,
        IrType.F32 => "float",
        IrType.F64 => "double",
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, null),
    };

    /// <summary>A local's C# name: <c>v_</c>, its source name made an identifier, and its id (unique).</summary>
    public static string Local(IrLocal local) => "v_" + Identifier(local.Name) + "_" + local.Id;

    private static string Identifier(string name)
    {
        var text = new StringBuilder(name.Length);
        foreach (char c in name) text.Append(c < 128 && (char.IsLetterOrDigit(c) || c == '_') ? c : '_');
        return text.ToString();
    }

    /// <summary>A C# string literal.</summary>
    public static string StringLiteral(string value)
    {
        var text = new StringBuilder(value.Length + 2).Append('"');
        foreach (char c in value)
        {
            if (c == '"' || c == '\\') text.Append('\\').Append(c);
            else if (c < ' ' || c > '~') text.Append("\\u").Append(((int)c).ToString("X4", CultureInfo.InvariantCulture));
            else text.Append(c);
        }
        return text.Append('"').ToString();
    }

    /// <summary>A constant as a C# expression of exactly its type (a C# constant expression, except for fp16/bf16).</summary>
    public static string Constant(IrConst c)
    {
        switch (c.Type)
        {
            case IrType.Bool: return c.Bits != 0 ? "true" : "false";
            case IrType.U8: return "((byte)" + (c.Bits & 0xFF).ToString(CultureInfo.InvariantCulture) + ")";
            case IrType.U16: return "((ushort)" + (c.Bits & 0xFFFF).ToString(CultureInfo.InvariantCulture) + ")";
            case IrType.I32:
            {
                int v = unchecked((int)c.Bits);
                if (v == int.MinValue) return "global::System.Int32.MinValue";
                return v < 0 ? "(" + v.ToString(CultureInfo.InvariantCulture) + ")" : v.ToString(CultureInfo.InvariantCulture);
            }
            case IrType.U32: return unchecked((uint)c.Bits).ToString(CultureInfo.InvariantCulture) + "u";
            case IrType.I64:
            {
                long v = c.Bits;
                if (v == long.MinValue) return "global::System.Int64.MinValue";
                return v < 0 ? "(" + v.ToString(CultureInfo.InvariantCulture) + "L)" : v.ToString(CultureInfo.InvariantCulture) + "L";
            }
            case IrType.U64: return unchecked((ulong)c.Bits).ToString(CultureInfo.InvariantCulture) + "UL";
            case IrType.F32: return Single((float)c.Float);
            case IrType.F64: return Double(c.Float);
            case IrType.F16: return "((" + Half + ")" + Single((float)c.Float) + ")";
            case IrType.BF16: return BFloat16 + ".FromSingle(" + Single((float)c.Float) + ")";
            default: throw new ArgumentOutOfRangeException(nameof(c), c.Type, null);
        }
    }

    private static string Single(float v)
    {
        if (float.IsNaN(v)) return "global::System.Single.NaN";
        if (float.IsPositiveInfinity(v)) return "global::System.Single.PositiveInfinity";
        if (float.IsNegativeInfinity(v)) return "global::System.Single.NegativeInfinity";
        // "G9" round-trips every single (unlike "R" on .NET Framework, where the generator may run).
        string digits = System.Math.Abs(v).ToString("G9", CultureInfo.InvariantCulture) + "f";
        return IsNegative(v) ? "(-" + digits + ")" : digits;
    }

    private static string Double(double v)
    {
        if (double.IsNaN(v)) return "global::System.Double.NaN";
        if (double.IsPositiveInfinity(v)) return "global::System.Double.PositiveInfinity";
        if (double.IsNegativeInfinity(v)) return "global::System.Double.NegativeInfinity";
        string digits = System.Math.Abs(v).ToString("G17", CultureInfo.InvariantCulture) + "d";
        return IsNegative(v) ? "(-" + digits + ")" : digits;
    }

    /// <summary>Sign bit set (so -0 keeps its sign).</summary>
    private static bool IsNegative(double v) => System.BitConverter.DoubleToInt64Bits(v) < 0;
}
