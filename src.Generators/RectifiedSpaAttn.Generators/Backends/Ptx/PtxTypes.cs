using System;
using System.Globalization;
using RectifiedSpaAttn.Generators.Ir;

namespace RectifiedSpaAttn.Generators.Backends.Ptx;

/// <summary>PTX spellings of IR types and constants.</summary>
internal static class PtxTypes
{
    /// <summary>
    /// The instruction type for arithmetic and comparisons on a value held in a register (U8 uses its .b16 register's
    /// 16-bit unsigned form; the value is kept zero-extended).
    /// </summary>
    public static string Arith(IrType t) => t switch
    {
        IrType.I32 => "s32",
        IrType.U32 => "u32",
        IrType.I64 => "s64",
        IrType.U64 => "u64",
        IrType.U8 or IrType.U16 => "u16",
        IrType.F32 => "f32",
        IrType.F64 => "f64",
        IrType.F16 => "f16",
        IrType.BF16 => "bf16",
        _ => throw new NotSupportedException($"PTX: no arithmetic on {t}."),
    };

    /// <summary>The untyped-bits form for moves, selects and bitwise operations.</summary>
    public static string Bits(IrType t) => PtxRegisterFile.ClassOf(t) switch
    {
        PtxRegisterClass.Pred => "pred",
        PtxRegisterClass.B16 => "b16",
        PtxRegisterClass.B32 => "b32",
        PtxRegisterClass.B64 => "b64",
        PtxRegisterClass.F32 => "f32",
        _ => "f64",
    };

    /// <summary>The type of <c>ld</c>/<c>st</c> for an element of <paramref name="t"/> in memory (bool is one byte).</summary>
    public static string Memory(IrType t) => t switch
    {
        IrType.Bool or IrType.U8 => "u8",
        IrType.U16 => "u16",
        IrType.F16 or IrType.BF16 => "b16",
        IrType.I32 => "s32",
        IrType.U32 => "u32",
        IrType.I64 => "s64",
        IrType.U64 => "u64",
        IrType.F32 => "f32",
        _ => "f64",
    };

    /// <summary>The <c>.param</c> type of a scalar kernel parameter (the launch contract: bool as 32 bits, 16-bit floats as .b16).</summary>
    public static string Param(IrType t) => t switch
    {
        IrType.Bool => "u32",
        IrType.U8 => "u8",
        IrType.U16 => "u16",
        IrType.F16 or IrType.BF16 => "b16",
        _ => Memory(t),
    };

    /// <summary>Bit width of a value of <paramref name="t"/> (U8 counts as 8, although it sits in a 16-bit register).</summary>
    public static int Width(IrType t) => t == IrType.Bool ? 1 : IrTypes.SizeOf(t) * 8;

    /// <summary>
    /// A constant as a PTX immediate. Floats are spelled by their exact bits (0f/0d), so no decimal rounding is involved;
    /// integers are truncated to the type's width first (U8 to 8 bits, as its register holds it).
    /// </summary>
    public static string Literal(IrConst c) => c.Type switch
    {
        IrType.Bool => c.Bits != 0 ? "1" : "0",
        IrType.U8 => ((byte)c.Bits).ToString(CultureInfo.InvariantCulture),
        IrType.U16 => ((ushort)c.Bits).ToString(CultureInfo.InvariantCulture),
        IrType.I32 => ((int)c.Bits).ToString(CultureInfo.InvariantCulture),
        IrType.U32 => ((uint)c.Bits).ToString(CultureInfo.InvariantCulture),
        IrType.I64 => c.Bits.ToString(CultureInfo.InvariantCulture),
        // Hex with the U suffix: an unsigned literal above long.MaxValue has no signed decimal spelling.
        IrType.U64 => "0x" + ((ulong)c.Bits).ToString("X16", CultureInfo.InvariantCulture) + "U",
        IrType.F32 => F32Literal((float)c.Float),
        IrType.F64 => "0d" + BitConverter.DoubleToInt64Bits(c.Float).ToString("X16", CultureInfo.InvariantCulture),
        _ => throw new NotSupportedException($"PTX: no immediate form for {c.Type} constants."),
    };

    /// <summary>An f32 immediate with these exact bits.</summary>
    public static string F32Literal(float value)
        => "0f" + BitConverter.ToUInt32(BitConverter.GetBytes(value), 0).ToString("X8", CultureInfo.InvariantCulture);

    /// <summary>Whether <paramref name="c"/> can be an instruction operand as it is (bools and 16-bit floats need a register).</summary>
    public static bool HasImmediate(IrType t) => t is not (IrType.Bool or IrType.F16 or IrType.BF16);
}
