using System;
using RectifiedSpaAttn.Generators.Ir;

namespace RectifiedSpaAttn.Generators.Frontend;

/// <summary>
/// Builds IR expressions and folds them as it goes: operations on constants become constants, so specialisation
/// constants flow into loop bounds, array indices and branch conditions without a separate pass. Folding follows
/// C# semantics exactly (wrapping integer arithmetic, truncating division, masked shifts).
/// </summary>
internal static class IrFactory
{
    public static IrExpr Binary(IrBinaryOp op, IrExpr left, IrExpr right)
    {
        if (left is IrConst a && right is IrConst b && FoldBinary(op, left.Type, a, b) is IrConst folded) return folded;
        // Identities that keep generated index arithmetic short.
        if (op is IrBinaryOp.Add && IsZero(right)) return left;
        if (op is IrBinaryOp.Add && IsZero(left)) return right;
        if (op is IrBinaryOp.Sub && IsZero(right)) return left;
        if (op is IrBinaryOp.Mul && IsOne(right) && !IrTypes.IsFloat(left.Type)) return left;
        if (op is IrBinaryOp.Mul && IsOne(left) && !IrTypes.IsFloat(left.Type)) return right;
        if (op is IrBinaryOp.Mul && (IsZero(left) || IsZero(right)) && !IrTypes.IsFloat(left.Type)) return IrConst.Int(left.Type, 0);
        // x ^ 0, x | 0 and shifts by 0 come from swizzles and packed offsets specialised to zero.
        if (op is IrBinaryOp.Or or IrBinaryOp.Xor && IsZero(right)) return left;
        if (op is IrBinaryOp.Or or IrBinaryOp.Xor && IsZero(left)) return right;
        if (op is IrBinaryOp.Shl or IrBinaryOp.Shr && IsZero(right)) return left;
        return new IrBinary(op, left, right);
    }

    public static IrExpr Unary(IrUnaryOp op, IrExpr operand)
    {
        if (operand is IrConst c)
        {
            switch (op)
            {
                case IrUnaryOp.Not: return IrConst.Bool(!c.IsTrue);
                case IrUnaryOp.Neg when IrTypes.IsFloat(c.Type): return IrConst.Real(c.Type, -c.Float);
                case IrUnaryOp.Neg: return Wrap(c.Type, unchecked(-c.Bits));
                case IrUnaryOp.BitNot: return Wrap(c.Type, ~c.Bits);
            }
        }
        if (op == IrUnaryOp.Not && operand is IrUnary { Op: IrUnaryOp.Not } inner) return inner.Operand;
        return new IrUnary(op, operand);
    }

    public static IrExpr Compare(IrCompareOp op, IrExpr left, IrExpr right)
    {
        if (left is IrConst a && right is IrConst b)
        {
            int cmp;
            if (IrTypes.IsFloat(left.Type))
            {
                if (double.IsNaN(a.Float) || double.IsNaN(b.Float)) return IrConst.Bool(op == IrCompareOp.Ne);
                cmp = a.Float.CompareTo(b.Float);
            }
            else if (IsUnsigned(left.Type)) cmp = ((ulong)a.Bits).CompareTo((ulong)b.Bits);
            else cmp = a.Bits.CompareTo(b.Bits);
            return IrConst.Bool(op switch
            {
                IrCompareOp.Eq => cmp == 0, IrCompareOp.Ne => cmp != 0, IrCompareOp.Lt => cmp < 0,
                IrCompareOp.Le => cmp <= 0, IrCompareOp.Gt => cmp > 0, _ => cmp >= 0,
            });
        }
        return new IrCompare(op, left, right);
    }

    public static IrExpr Conditional(IrExpr condition, IrExpr whenTrue, IrExpr whenFalse)
    {
        if (condition is IrConst c) return c.IsTrue ? whenTrue : whenFalse;
        return new IrConditional(condition, whenTrue, whenFalse);
    }

    /// <summary>&amp;&amp; as a conditional, so the right side is evaluated only when needed.</summary>
    public static IrExpr AndAlso(IrExpr left, IrExpr right)
    {
        if (left is IrConst l) return l.IsTrue ? right : IrConst.Bool(false);
        if (right is IrConst { IsTrue: true }) return left;
        return new IrConditional(left, right, IrConst.Bool(false));
    }

    public static IrExpr OrElse(IrExpr left, IrExpr right)
    {
        if (left is IrConst l) return l.IsTrue ? IrConst.Bool(true) : right;
        if (right is IrConst { IsTrue: false }) return left;
        return new IrConditional(left, IrConst.Bool(true), right);
    }

    public static IrExpr Convert(IrType target, IrExpr operand)
    {
        if (operand.Type == target) return operand;
        // A 16-bit float widened and narrowed again is itself: keeps load -> store copies exact and short.
        if (target is IrType.BF16 or IrType.F16 && operand is IrConvert { Type: IrType.F32 } widened && widened.Operand.Type == target)
            return widened.Operand;
        if (operand is IrConst c && target is not (IrType.BF16 or IrType.F16) && c.Type is not (IrType.BF16 or IrType.F16))
            return FoldConvert(target, c);
        return new IrConvert(target, operand);
    }

    public static IrConst Int(int value) => IrConst.Int(IrType.I32, value);
    public static IrConst Long(long value) => IrConst.Int(IrType.I64, value);

    public static bool IsZero(IrExpr e) => e is IrConst c && (IrTypes.IsFloat(c.Type) ? c.Float == 0 && 1 / c.Float > 0 : c.Bits == 0);
    public static bool IsOne(IrExpr e) => e is IrConst c && (IrTypes.IsFloat(c.Type) ? c.Float == 1 : c.Bits == 1);

    private static bool IsUnsigned(IrType t) => t is IrType.U8 or IrType.U16 or IrType.U32 or IrType.U64 or IrType.Bool;

    /// <summary>Truncates <paramref name="bits"/> to the width of <paramref name="type"/>, sign- or zero-extending back to 64 bits.</summary>
    public static IrConst Wrap(IrType type, long bits) => type switch
    {
        IrType.Bool => IrConst.Bool(bits != 0),
        IrType.U8 => IrConst.Int(type, (byte)bits),
        IrType.U16 => IrConst.Int(type, (ushort)bits),
        IrType.I32 => IrConst.Int(type, (int)bits),
        IrType.U32 => IrConst.Int(type, (uint)bits),
        _ => IrConst.Int(type, bits),
    };

    private static IrConst RoundFloat(IrType type, double value) => IrConst.Real(type, type == IrType.F32 ? (float)value : value);

    private static IrConst? FoldBinary(IrBinaryOp op, IrType type, IrConst a, IrConst b)
    {
        if (IrTypes.IsFloat(type))
        {
            double x = a.Float, y = b.Float;
            return op switch
            {
                IrBinaryOp.Add => RoundFloat(type, x + y),
                IrBinaryOp.Sub => RoundFloat(type, x - y),
                IrBinaryOp.Mul => RoundFloat(type, x * y),
                IrBinaryOp.Div => RoundFloat(type, x / y),
                _ => null,
            };
        }
        if (type == IrType.Bool)
        {
            bool p = a.IsTrue, q = b.IsTrue;
            return op switch
            {
                IrBinaryOp.And => IrConst.Bool(p & q), IrBinaryOp.Or => IrConst.Bool(p | q), IrBinaryOp.Xor => IrConst.Bool(p ^ q),
                _ => null,
            };
        }
        long l = a.Bits, r = b.Bits;
        int width = IrTypes.SizeOf(type) * 8;
        bool unsigned = IsUnsigned(type);
        switch (op)
        {
            case IrBinaryOp.Add: return Wrap(type, unchecked(l + r));
            case IrBinaryOp.Sub: return Wrap(type, unchecked(l - r));
            case IrBinaryOp.Mul: return Wrap(type, unchecked(l * r));
            case IrBinaryOp.Div when r != 0:
                return Wrap(type, unsigned ? (long)((ulong)l / (ulong)r) : (l == long.MinValue && r == -1 ? l : l / r));
            case IrBinaryOp.Rem when r != 0:
                return Wrap(type, unsigned ? (long)((ulong)l % (ulong)r) : (r == -1 ? 0 : l % r));
            case IrBinaryOp.And: return Wrap(type, l & r);
            case IrBinaryOp.Or: return Wrap(type, l | r);
            case IrBinaryOp.Xor: return Wrap(type, l ^ r);
            case IrBinaryOp.Shl: return Wrap(type, l << (int)(r & (width - 1)));
            case IrBinaryOp.Shr:
                int s = (int)(r & (width - 1));
                if (!unsigned) return Wrap(type, l >> s);
                ulong u = width == 64 ? (ulong)l : (ulong)l & ((1UL << width) - 1);
                return Wrap(type, (long)(u >> s));
            default: return null;
        }
    }

    private static IrConst FoldConvert(IrType target, IrConst c)
    {
        if (target == IrType.Bool) return IrConst.Bool(IrTypes.IsFloat(c.Type) ? c.Float != 0 : c.Bits != 0);
        if (IrTypes.IsFloat(target))
        {
            double v = IrTypes.IsFloat(c.Type) ? c.Float : IsUnsigned(c.Type) ? (double)(ulong)c.Bits : c.Bits;
            return RoundFloat(target, v);
        }
        if (IrTypes.IsFloat(c.Type))
        {
            double t = Math.Truncate(c.Float);
            return Wrap(target, IsUnsigned(target) && t >= 9.2233720368547758e18 ? (long)(ulong)t : (long)t);
        }
        return Wrap(target, c.Bits);
    }
}
