using System;
using RectifiedSpaAttn.Generators.Ir;

namespace RectifiedSpaAttn.Generators.Backends.Ptx;

/// <summary>
/// Math intrinsics. F32 transcendentals use the special-function unit (ex2/lg2/sin/cos/tanh .approx), the speed a
/// kernel wants; F64 has only the operations PTX rounds exactly, and anything else is refused with a message.
/// </summary>
internal sealed partial class PtxFunctionEmitter
{
    private const string Log2E = "0f3FB8AA3B"; // log2(e) as f32
    private const string Ln2 = "0f3F317218";   // ln(2) as f32

    private string Math(IrMath m)
    {
        IrType t = m.Type;
        switch (m.Op)
        {
            case IrMathOp.PackBF16:
            case IrMathOp.PackF16:
            {
                Expect(m, 2);
                string lo = Reg(m.Args[0]), hi = Reg(m.Args[1]);
                string d = Registers.New(IrType.U32);
                // cvt.rn.{bf16x2|f16x2}.f32 d, a, b puts a in the upper half and b in the lower one.
                Op($"cvt.rn.{(m.Op == IrMathOp.PackBF16 ? "bf16x2" : "f16x2")}.f32 {d}, {hi}, {lo}");
                return d;
            }
            case IrMathOp.UnpackBF16:
            case IrMathOp.UnpackF16:
                Expect(m, 2);
                return Unpack(m);
        }

        if (IrTypes.IsInteger(t)) return IntegerMath(m);
        if (t == IrType.F64) return F64Math(m);
        if (t != IrType.F32) throw new NotSupportedException($"PTX: {m.Op} on {t} is not supported.");

        string x = Reg(m.Args[0]);
        string r = Registers.New(IrType.F32);
        switch (m.Op)
        {
            case IrMathOp.Abs: Op($"abs.f32 {r}, {x}"); break;
            case IrMathOp.Sqrt: Op($"sqrt.rn.f32 {r}, {x}"); break;
            case IrMathOp.Exp:
            {
                // e^x = 2^(x * log2 e)
                string s = Registers.New(IrType.F32);
                Op($"mul.f32 {s}, {x}, {Log2E}");
                Op($"ex2.approx.ftz.f32 {r}, {s}");
                break;
            }
            case IrMathOp.Exp2:
            case IrMathOp.Exp2Fast: Op($"ex2.approx.ftz.f32 {r}, {x}"); break;
            case IrMathOp.Log:
            {
                string l2 = Registers.New(IrType.F32);
                Op($"lg2.approx.f32 {l2}, {x}");
                Op($"mul.f32 {r}, {l2}, {Ln2}");
                break;
            }
            case IrMathOp.Log2: Op($"lg2.approx.f32 {r}, {x}"); break;
            case IrMathOp.Floor: Op($"cvt.rmi.f32.f32 {r}, {x}"); break;
            case IrMathOp.Ceil: Op($"cvt.rpi.f32.f32 {r}, {x}"); break;
            case IrMathOp.Sin: Op($"sin.approx.f32 {r}, {x}"); break;
            case IrMathOp.Cos: Op($"cos.approx.f32 {r}, {x}"); break;
            case IrMathOp.Tanh: Op($"tanh.approx.f32 {r}, {x}"); break;
            case IrMathOp.Rsqrt: Op($"rsqrt.approx.f32 {r}, {x}"); break;
            case IrMathOp.RcpFast: Op($"rcp.approx.ftz.f32 {r}, {x}"); break;
            case IrMathOp.Min:
                Expect(m, 2);
                Op($"min.f32 {r}, {x}, {Eval(m.Args[1])}"); // returns the non-NaN operand, as fmin
                break;
            case IrMathOp.Max:
                Expect(m, 2);
                Op($"max.f32 {r}, {x}, {Eval(m.Args[1])}");
                break;
            case IrMathOp.Fma:
                Expect(m, 3);
                Op($"fma.rn.f32 {r}, {x}, {Eval(m.Args[1])}, {Eval(m.Args[2])}");
                break;
            default:
                throw new NotSupportedException($"PTX: {m.Op} on F32 is not supported.");
        }
        return r;
    }

    /// <summary>F64: only the correctly rounded (or exact) operations; the SFU approximations have no f64 form worth using.</summary>
    private string F64Math(IrMath m)
    {
        string x = Reg(m.Args[0]);
        string r = Registers.New(IrType.F64);
        switch (m.Op)
        {
            case IrMathOp.Abs: Op($"abs.f64 {r}, {x}"); break;
            case IrMathOp.Sqrt: Op($"sqrt.rn.f64 {r}, {x}"); break;
            case IrMathOp.Floor: Op($"cvt.rmi.f64.f64 {r}, {x}"); break;
            case IrMathOp.Ceil: Op($"cvt.rpi.f64.f64 {r}, {x}"); break;
            case IrMathOp.Min: Expect(m, 2); Op($"min.f64 {r}, {x}, {Eval(m.Args[1])}"); break;
            case IrMathOp.Max: Expect(m, 2); Op($"max.f64 {r}, {x}, {Eval(m.Args[1])}"); break;
            case IrMathOp.Fma: Expect(m, 3); Op($"fma.rn.f64 {r}, {x}, {Eval(m.Args[1])}, {Eval(m.Args[2])}"); break;
            default:
                throw new NotSupportedException(
                    $"PTX: {m.Op} on double is not supported by the PTX backend (only +, -, *, /, Sqrt, Fma, Min, Max, Abs, Floor and Ceil are); compute it in float.");
        }
        return r;
    }

    private string IntegerMath(IrMath m)
    {
        IrType t = m.Type;
        string arith = PtxTypes.Arith(t);
        switch (m.Op)
        {
            case IrMathOp.Abs:
            {
                if (!IrTypes.IsSigned(t)) return Eval(m.Args[0]); // |x| of an unsigned value is x
                string x = Reg(m.Args[0]), r = Registers.New(t);
                Op($"abs.{arith} {r}, {x}"); // abs of the minimum value wraps to itself, as unchecked C#
                return r;
            }
            case IrMathOp.Min:
            case IrMathOp.Max:
            {
                Expect(m, 2);
                (string a, string b) = BinaryOperands(m.Args[0], m.Args[1], commutative: true);
                string r = Registers.New(t);
                Op($"{(m.Op == IrMathOp.Min ? "min" : "max")}.{arith} {r}, {a}, {b}");
                return r;
            }
            default:
                throw new NotSupportedException($"PTX: {m.Op} on {t} is not supported.");
        }
    }

    /// <summary>
    /// One 16-bit float out of a packed pair. bf16: the upper half already is the f32 (mask off the lower half), the
    /// lower half is shifted up. fp16: split the pair with mov.b32 {lo, hi} and widen with cvt.f32.f16.
    /// </summary>
    private string Unpack(IrMath m)
    {
        string packed = Reg(m.Args[0]);
        if (m.Args[1] is IrConst c) return UnpackHalf(m.Op, packed, c.IsTrue);
        string hi = UnpackHalf(m.Op, packed, true), lo = UnpackHalf(m.Op, packed, false);
        string p = Reg(m.Args[1]), r = Registers.New(IrType.F32);
        Op($"selp.f32 {r}, {hi}, {lo}, {p}");
        return r;
    }

    private string UnpackHalf(IrMathOp op, string packed, bool high)
    {
        string r = Registers.New(IrType.F32);
        if (op == IrMathOp.UnpackBF16)
        {
            string bits = Registers.New(IrType.U32);
            Op(high ? $"and.b32 {bits}, {packed}, -65536" : $"shl.b32 {bits}, {packed}, 16");
            Op($"mov.b32 {r}, {bits}");
        }
        else
        {
            string lo = Registers.New(IrType.F16), hi = Registers.New(IrType.F16);
            Op($"mov.b32 {{{lo}, {hi}}}, {packed}");
            Op($"cvt.f32.f16 {r}, {(high ? hi : lo)}");
        }
        return r;
    }

    private static void Expect(IrMath m, int count)
    {
        if (m.Args.Count != count) throw new NotSupportedException($"PTX: {m.Op} takes {count} operands, got {m.Args.Count}.");
    }
}
