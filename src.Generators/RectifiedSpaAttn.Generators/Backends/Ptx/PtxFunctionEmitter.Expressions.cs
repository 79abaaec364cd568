using System;
using System.Linq;
using RectifiedSpaAttn.Generators.Ir;

namespace RectifiedSpaAttn.Generators.Backends.Ptx;

/// <summary>Expressions: each evaluates to an operand (a register, or an immediate where the type has one).</summary>
internal sealed partial class PtxFunctionEmitter
{
    /// <summary>The value of <paramref name="e"/> as an operand: a register or, for constants, an immediate.</summary>
    private string Eval(IrExpr e) => (_evaluator ??= new Evaluator(this)).Visit(e);

    private Evaluator? _evaluator;

    /// <summary>One method per expression kind (IrExprVisitor): a kind this backend misses does not build.</summary>
    private sealed class Evaluator(PtxFunctionEmitter f) : IrExprVisitor<string>
    {
        internal override string VisitConst(IrConst c) => f.Constant(c);
        internal override string VisitLocalRef(IrLocalRef l) => f.LocalRegister(l.Local);
        internal override string VisitParamRef(IrParamRef p) => f.ScalarParam(p.Param);
        internal override string VisitSpecial(IrSpecial s) => f.Special(s.Kind);
        internal override string VisitUnary(IrUnary u) => f.Unary(u);
        internal override string VisitBinary(IrBinary b) => f.Binary(b);
        internal override string VisitCompare(IrCompare c) => f.Compare(c);
        internal override string VisitConditional(IrConditional c) => f.Conditional(c);
        internal override string VisitConvert(IrConvert c) => f.Convert(c);
        internal override string VisitBitcast(IrBitcast c) => f.Bitcast(c);
        internal override string VisitLoad(IrLoad l) => f.Load(l);
        internal override string VisitViewLength(IrViewLength v) => f.Eval(v.View.Length);
        internal override string VisitBufferLength(IrBufferLength b) => f.BufferLength(b.Param);
        internal override string VisitMath(IrMath m) => f.Math(m);
    }

    /// <summary>The value of <paramref name="e"/> in a register (immediates are moved into a fresh one).</summary>
    private string Reg(IrExpr e) => Materialize(Eval(e), e.Type);

    private string Materialize(string operand, IrType type)
    {
        if (IsRegister(operand)) return operand;
        string r = Registers.New(type);
        Op($"mov.{PtxTypes.Bits(type)} {r}, {operand}");
        return r;
    }

    private string Constant(IrConst c)
    {
        switch (c.Type)
        {
            case IrType.Bool:
            {
                string p = Registers.New(IrType.Bool);
                Op($"mov.pred {p}, {(c.IsTrue ? 1 : 0)}");
                return p;
            }
            case IrType.F16:
            case IrType.BF16:
            {
                // No 16-bit float immediates: round the f32 constant at run time, as a store of it would.
                string h = Registers.New(c.Type);
                Op($"cvt.rn.{(c.Type == IrType.F16 ? "f16" : "bf16")}.f32 {h}, {PtxTypes.F32Literal((float)c.Float)}");
                return h;
            }
            default:
                return PtxTypes.Literal(c);
        }
    }

    /// <summary>Masks a U8 result back to 8 bits (its register is 16 bits wide); other types need nothing.</summary>
    private void NormalizeU8(IrType type, string reg)
    {
        if (type == IrType.U8) Op($"and.b16 {reg}, {reg}, 255");
    }

    private string Unary(IrUnary u)
    {
        IrType t = u.Type;
        string a = Reg(u.Operand);
        string d = Registers.New(t);
        switch (u.Op)
        {
            case IrUnaryOp.Neg when t is IrType.F32 or IrType.F64:
                Op($"neg.{PtxTypes.Arith(t)} {d}, {a}");
                break;
            case IrUnaryOp.Neg when IrTypes.IsInteger(t):
                // Two's complement negation is the same bits for signed and unsigned.
                Op($"neg.s{(t is IrType.U8 or IrType.U16 ? 16 : PtxTypes.Width(t))} {d}, {a}");
                NormalizeU8(t, d);
                break;
            case IrUnaryOp.Not when t == IrType.Bool:
                Op($"not.pred {d}, {a}");
                break;
            case IrUnaryOp.BitNot when IrTypes.IsInteger(t):
                Op($"not.{PtxTypes.Bits(t)} {d}, {a}");
                NormalizeU8(t, d);
                break;
            default:
                throw new NotSupportedException($"PTX: unary {u.Op} on {t} is not supported.");
        }
        return d;
    }

    private string Binary(IrBinary b)
    {
        IrType t = b.Type;
        if (b.Right.Type != t) throw new NotSupportedException($"PTX: binary {b.Op} mixes {t} and {b.Right.Type}.");
        if (t == IrType.Bool) return BoolBinary(b);
        if (t is IrType.F32 or IrType.F64) return FloatBinary(b);
        if (!IrTypes.IsInteger(t)) throw new NotSupportedException($"PTX: binary {b.Op} on {t} (a memory-only type) is not supported.");
        if (b.Op is IrBinaryOp.Shl or IrBinaryOp.Shr) return Shift(b);

        (string l, string r) = BinaryOperands(b.Left, b.Right, IsCommutative(b.Op));
        string d = Registers.New(t);
        string arith = PtxTypes.Arith(t), bits = PtxTypes.Bits(t);
        string op = b.Op switch
        {
            IrBinaryOp.Add => "add." + arith,
            IrBinaryOp.Sub => "sub." + arith,
            IrBinaryOp.Mul => "mul.lo." + arith,
            // div/rem .s truncate toward zero and rem takes the dividend's sign, exactly C#'s / and %.
            IrBinaryOp.Div => "div." + arith,
            IrBinaryOp.Rem => "rem." + arith,
            IrBinaryOp.And => "and." + bits,
            IrBinaryOp.Or => "or." + bits,
            _ => "xor." + bits,
        };
        Op($"{op} {d}, {l}, {r}");
        if (b.Op is IrBinaryOp.Add or IrBinaryOp.Sub or IrBinaryOp.Mul) NormalizeU8(t, d);
        return d;
    }

    private static bool IsCommutative(IrBinaryOp op)
        => op is IrBinaryOp.Add or IrBinaryOp.Mul or IrBinaryOp.And or IrBinaryOp.Or or IrBinaryOp.Xor;

    /// <summary>
    /// Operands of a two-input instruction: the first always a register (a constant first operand is swapped to the
    /// second place when the operation commutes), the second may stay an immediate.
    /// </summary>
    private (string Left, string Right) BinaryOperands(IrExpr left, IrExpr right, bool commutative)
    {
        if (commutative && left is IrConst && right is not IrConst) (left, right) = (right, left);
        string l = Reg(left);
        string r = Eval(right);
        return (l, r);
    }

    private string BoolBinary(IrBinary b)
    {
        string op = b.Op switch
        {
            IrBinaryOp.And => "and.pred",
            IrBinaryOp.Or => "or.pred",
            IrBinaryOp.Xor => "xor.pred",
            _ => throw new NotSupportedException($"PTX: binary {b.Op} on Bool is not supported."),
        };
        string l = Reg(b.Left), r = Reg(b.Right), d = Registers.New(IrType.Bool);
        Op($"{op} {d}, {l}, {r}");
        return d;
    }

    private string FloatBinary(IrBinary b)
    {
        string ty = PtxTypes.Arith(b.Type);
        // add/sub/mul without a rounding modifier round to nearest and let ptxas contract a*b+c into an fma,
        // as nvcc's default does; division is IEEE (div.rn), as in C#.
        string op = b.Op switch
        {
            IrBinaryOp.Add => "add." + ty,
            IrBinaryOp.Sub => "sub." + ty,
            IrBinaryOp.Mul => "mul." + ty,
            IrBinaryOp.Div => "div.rn." + ty,
            _ => throw new NotSupportedException($"PTX: binary {b.Op} on {b.Type} is not supported."),
        };
        (string l, string r) = BinaryOperands(b.Left, b.Right, IsCommutative(b.Op));
        string d = Registers.New(b.Type);
        Op($"{op} {d}, {l}, {r}");
        return d;
    }

    /// <summary>
    /// C# masks the shift count to the type's width minus one; PTX clamps it instead (a count past the width shifts
    /// everything out), so a variable count is masked first. The count operand of shl/shr is always 32-bit.
    /// </summary>
    private string Shift(IrBinary b)
    {
        IrType t = b.Type;
        int width = PtxTypes.Width(t);
        string count;
        if (b.Right is IrConst c)
        {
            count = (c.Bits & (width - 1)).ToString(System.Globalization.CultureInfo.InvariantCulture);
        }
        else
        {
            string raw = Reg(b.Right);
            string c32 = raw;
            if (PtxRegisterFile.ClassOf(t) != PtxRegisterClass.B32)
            {
                c32 = Registers.New(IrType.U32);
                Op($"cvt.u32.{(PtxRegisterFile.ClassOf(t) == PtxRegisterClass.B64 ? "u64" : "u16")} {c32}, {raw}");
            }
            count = Registers.New(IrType.U32);
            Op($"and.b32 {count}, {c32}, {width - 1}");
        }
        string a = Reg(b.Left);
        string d = Registers.New(t);
        if (b.Op == IrBinaryOp.Shl)
        {
            Op($"shl.{PtxTypes.Bits(t)} {d}, {a}, {count}");
            NormalizeU8(t, d);
        }
        else
        {
            Op($"shr.{PtxTypes.Arith(t)} {d}, {a}, {count}"); // .s is arithmetic, .u logical
        }
        return d;
    }

    private string Compare(IrCompare c)
    {
        IrType t = c.Left.Type;
        if (c.Right.Type != t) throw new NotSupportedException($"PTX: comparison mixes {t} and {c.Right.Type}.");
        string d = Registers.New(IrType.Bool);
        if (t == IrType.Bool)
        {
            string a = Reg(c.Left), b = Reg(c.Right);
            switch (c.Op)
            {
                case IrCompareOp.Ne:
                    Op($"xor.pred {d}, {a}, {b}");
                    return d;
                case IrCompareOp.Eq:
                    string x = Registers.New(IrType.Bool);
                    Op($"xor.pred {x}, {a}, {b}");
                    Op($"not.pred {d}, {x}");
                    return d;
                default:
                    throw new NotSupportedException($"PTX: ordering comparison {c.Op} on Bool is not supported.");
            }
        }
        if (t is IrType.F16 or IrType.BF16) throw new NotSupportedException($"PTX: comparison of {t} (a memory-only type) is not supported.");
        bool isFloat = t is IrType.F32 or IrType.F64;
        // C#: every float comparison is false on NaN except !=, which is true: the unordered form neu.
        string cmp = c.Op switch
        {
            IrCompareOp.Eq => "eq",
            IrCompareOp.Ne => isFloat ? "neu" : "ne",
            IrCompareOp.Lt => "lt",
            IrCompareOp.Le => "le",
            IrCompareOp.Gt => "gt",
            _ => "ge",
        };
        string l = Reg(c.Left), r = Eval(c.Right);
        Op($"setp.{cmp}.{PtxTypes.Arith(t)} {d}, {l}, {r}");
        return d;
    }

    private static bool HasLoad(IrExpr e) => IrWalker.Expressions(e).Any(x => x is IrLoad);

    /// <summary>
    /// <c>c ? a : b</c>. A side that cannot fault (no load) may be computed whatever the condition: with both sides
    /// load-free this is a select; otherwise the load-free side (if any) is computed first and the other one only
    /// under a branch, so a guarded load (<c>i &lt; n ? x[i] : 0</c>) never reads out of bounds.
    /// </summary>
    private string Conditional(IrConditional c)
    {
        if (c.Condition is IrConst k) return Eval(k.IsTrue ? c.WhenTrue : c.WhenFalse);
        IrType t = c.Type;
        bool trueFree = !HasLoad(c.WhenTrue), falseFree = !HasLoad(c.WhenFalse);

        if (trueFree && falseFree)
        {
            if (t == IrType.Bool) return BoolSelect(c);
            string p = Reg(c.Condition);
            string a = Eval(c.WhenTrue), b = Eval(c.WhenFalse);
            string d = Registers.New(t);
            Op($"selp.{PtxTypes.Bits(t)} {d}, {a}, {b}, {p}");
            return d;
        }

        string cond = Reg(c.Condition);
        string result = Registers.New(t);
        string mov = "mov." + PtxTypes.Bits(t);
        string end = NewLabel("endsel");
        if (falseFree || trueFree)
        {
            // Speculate the safe side, then overwrite it under a branch with the side that loads.
            IrExpr safe = falseFree ? c.WhenFalse : c.WhenTrue, guarded = falseFree ? c.WhenTrue : c.WhenFalse;
            Op($"{mov} {result}, {Eval(safe)}");
            Op(falseFree ? $"@!{cond} bra {end}" : $"@{cond} bra {end}");
            Op($"{mov} {result}, {Eval(guarded)}");
        }
        else
        {
            string otherwise = NewLabel("selfalse");
            Op($"@!{cond} bra {otherwise}");
            Op($"{mov} {result}, {Eval(c.WhenTrue)}");
            Op($"bra {end}");
            Label(otherwise);
            Op($"{mov} {result}, {Eval(c.WhenFalse)}");
        }
        Label(end);
        return result;
    }

    /// <summary>A load-free bool select in predicate logic (selp has no .pred form); <c>a &amp;&amp; b</c> and <c>a || b</c> take one instruction.</summary>
    private string BoolSelect(IrConditional c)
    {
        string p = Reg(c.Condition);
        string d = Registers.New(IrType.Bool);
        if (c.WhenFalse is IrConst f && !f.IsTrue)
        {
            Op($"and.pred {d}, {p}, {Reg(c.WhenTrue)}");
        }
        else if (c.WhenTrue is IrConst tr && tr.IsTrue)
        {
            Op($"or.pred {d}, {p}, {Reg(c.WhenFalse)}");
        }
        else
        {
            string a = Reg(c.WhenTrue), b = Reg(c.WhenFalse);
            string pa = Registers.New(IrType.Bool), np = Registers.New(IrType.Bool), pb = Registers.New(IrType.Bool);
            Op($"and.pred {pa}, {p}, {a}");
            Op($"not.pred {np}, {p}");
            Op($"and.pred {pb}, {np}, {b}");
            Op($"or.pred {d}, {pa}, {pb}");
        }
        return d;
    }
}
