using System;
using RectifiedSpaAttn.Generators.Ir;

namespace RectifiedSpaAttn.Generators.Backends.Ptx;

/// <summary>Numeric conversions with C# meaning, and bit casts.</summary>
internal sealed partial class PtxFunctionEmitter
{
    private string Convert(IrConvert c) => Convert(c.Type, c.Operand.Type, Reg(c.Operand));

    /// <summary>Converts the value in register <paramref name="a"/> from <paramref name="from"/> to <paramref name="to"/>.</summary>
    private string Convert(IrType to, IrType from, string a)
    {
        if (to == from) return a;

        // Bool <-> numbers as 0/1.
        if (from == IrType.Bool)
        {
            if (to is IrType.F16 or IrType.BF16) return Convert(to, IrType.F32, Convert(IrType.F32, IrType.Bool, a));
            string d = Registers.New(to);
            string one = to switch { IrType.F32 => PtxTypes.F32Literal(1f), IrType.F64 => "0d3FF0000000000000", _ => "1" };
            string zero = to switch { IrType.F32 => PtxTypes.F32Literal(0f), IrType.F64 => "0d0000000000000000", _ => "0" };
            Op($"selp.{PtxTypes.Bits(to)} {d}, {one}, {zero}, {a}");
            return d;
        }
        if (to == IrType.Bool)
        {
            if (from is IrType.F16 or IrType.BF16) return Convert(IrType.Bool, IrType.F32, Convert(IrType.F32, from, a));
            string p = Registers.New(IrType.Bool);
            string zero = from switch { IrType.F32 => PtxTypes.F32Literal(0f), IrType.F64 => "0d0000000000000000", _ => "0" };
            Op($"setp.ne.{PtxTypes.Arith(from)} {p}, {a}, {zero}");
            return p;
        }

        // 16-bit floats: only their f32 partner converts directly; other types go through f32 (exact when widening).
        if (from is IrType.F16 or IrType.BF16)
        {
            string f = Registers.New(IrType.F32);
            if (from == IrType.F16)
            {
                Op($"cvt.f32.f16 {f}, {a}");
            }
            else
            {
                // sm_80 has no cvt.f32.bf16: a bf16 is the upper half of the f32 with the same value.
                string wide = Registers.New(IrType.U32);
                Op($"cvt.u32.u16 {wide}, {a}");
                Op($"shl.b32 {wide}, {wide}, 16");
                Op($"mov.b32 {f}, {wide}");
            }
            return to == IrType.F32 ? f : Convert(to, IrType.F32, f);
        }
        if (to is IrType.F16 or IrType.BF16)
        {
            // Narrowing from anything but f32 rounds twice (via f32); the IR only produces f32 sources.
            string f = from == IrType.F32 ? a : Convert(IrType.F32, from, a);
            string h = Registers.New(to);
            Op($"cvt.rn.{(to == IrType.F16 ? "f16" : "bf16")}.f32 {h}, {f}");
            return h;
        }

        bool fromFloat = from is IrType.F32 or IrType.F64, toFloat = to is IrType.F32 or IrType.F64;
        if (fromFloat && toFloat)
        {
            string d = Registers.New(to);
            Op(to == IrType.F64 ? $"cvt.f64.f32 {d}, {a}" : $"cvt.rn.f32.f64 {d}, {a}");
            return d;
        }
        if (fromFloat)
        {
            // Truncation toward zero. .NET (since 9) saturates to the 32- and 64-bit integer types and maps NaN to 0,
            // as PTX's cvt.rzi does; but to byte and ushort it converts to int first and keeps the low bits
            // ((byte)-2.75f is 254), so those go through s32 here too. Measured against the runtime on the H100.
            string src = PtxTypes.Arith(from);
            if (to is IrType.U8 or IrType.U16)
            {
                string wide = Registers.New(IrType.I32);
                Op($"cvt.rzi.s32.{src} {wide}, {a}");
                return IntegerConvert(to, IrType.I32, wide);
            }
            string d = Registers.New(to);
            Op($"cvt.rzi.{PtxTypes.Arith(to)}.{src} {d}, {a}");
            return d;
        }
        if (toFloat)
        {
            string d = Registers.New(to);
            Op($"cvt.rn.{PtxTypes.Arith(to)}.{PtxTypes.Arith(from)} {d}, {a}");
            return d;
        }
        return IntegerConvert(to, from, a);
    }

    /// <summary>
    /// Integer to integer: widening extends by the source's signedness, narrowing keeps the low bits, and a change of
    /// signedness alone is the same register.
    /// </summary>
    private string IntegerConvert(IrType to, IrType from, string a)
    {
        int toBits = PtxTypes.Width(to), fromBits = PtxTypes.Width(from);
        PtxRegisterClass toClass = PtxRegisterFile.ClassOf(to), fromClass = PtxRegisterFile.ClassOf(from);
        if (toClass == fromClass)
        {
            // Same register width: I32<->U32, I64<->U64, U16->U8 (mask), U8->U16 (already zero-extended).
            if (to == IrType.U8 && from == IrType.U16)
            {
                string m = Registers.New(to);
                Op($"and.b16 {m}, {a}, 255");
                return m;
            }
            return a;
        }
        string d = Registers.New(to);
        string regTo = RegisterIntType(toClass, IrTypes.IsSigned(from));
        string regFrom = RegisterIntType(fromClass, IrTypes.IsSigned(from));
        if (toBits > fromBits)
            Op($"cvt.{regTo}.{regFrom} {d}, {a}"); // extension follows the source's signedness
        else
            Op($"cvt.{RegisterIntType(toClass, false)}.{RegisterIntType(fromClass, false)} {d}, {a}"); // keeps the low bits
        NormalizeU8(to, d);
        return d;
    }

    private static string RegisterIntType(PtxRegisterClass cls, bool signed) => cls switch
    {
        PtxRegisterClass.B16 => signed ? "s16" : "u16",
        PtxRegisterClass.B32 => signed ? "s32" : "u32",
        _ => signed ? "s64" : "u64",
    };

    private string Bitcast(IrBitcast c)
    {
        IrType to = c.Type, from = c.Operand.Type;
        if (IrTypes.SizeOf(to) != IrTypes.SizeOf(from) || to == IrType.Bool || from == IrType.Bool)
            throw new NotSupportedException($"PTX: bit cast from {from} to {to} changes the size.");
        string a = Reg(c.Operand);
        if (PtxRegisterFile.ClassOf(to) == PtxRegisterFile.ClassOf(from)) return a;
        string d = Registers.New(to);
        Op($"mov.b{PtxTypes.Width(to)} {d}, {a}");
        return d;
    }
}
