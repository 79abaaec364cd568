using System;
using System.Collections.Generic;
using RectifiedSpaAttn.Generators.Ir;

namespace RectifiedSpaAttn.Generators.Backends.Cpu;

/// <summary>
/// Math intrinsics as exact CPU equivalents. The GPU's approximations (Exp2Fast, RcpFast, Rsqrt) become the
/// correctly rounded operations they approximate; float Min/Max follow IEEE fmin/fmax (a NaN operand yields the
/// other operand), which is <c>Single.MinNumber</c>, not <c>Math.Min</c> (that one propagates NaN).
/// </summary>
internal static class CpuMathEmitter
{
    public static string Emit(CpuExpressionEmitter emitter, IrMath m)
    {
        IReadOnlyList<IrExpr> a = m.Args;
        string A(int i) => emitter.Emit(a[i]);
        bool f32 = m.Type == IrType.F32;
        bool f64 = m.Type == IrType.F64;
        string math = f32 ? CpuNames.MathF : CpuNames.SystemMath;
        string floatType = f32 ? "global::System.Single" : "global::System.Double";

        switch (m.Op)
        {
            case IrMathOp.Abs:
                if (f32 || f64) return math + ".Abs(" + A(0) + ")";
                if (m.Type is IrType.I32 or IrType.I64) return CpuNames.Math + ".Abs(" + A(0) + ")";
                return A(0); // unsigned
            case IrMathOp.Sqrt: return Float(m, math + ".Sqrt(" + A(0) + ")");
            case IrMathOp.Exp: return Float(m, math + ".Exp(" + A(0) + ")");
            case IrMathOp.Exp2: return Float(m, floatType + ".Exp2(" + A(0) + ")");
            case IrMathOp.Log: return Float(m, math + ".Log(" + A(0) + ")");
            case IrMathOp.Log2: return Float(m, math + ".Log2(" + A(0) + ")");
            case IrMathOp.Floor: return Float(m, math + ".Floor(" + A(0) + ")");
            case IrMathOp.Ceil: return Float(m, math + ".Ceiling(" + A(0) + ")");
            case IrMathOp.Sin: return Float(m, math + ".Sin(" + A(0) + ")");
            case IrMathOp.Cos: return Float(m, math + ".Cos(" + A(0) + ")");
            case IrMathOp.Tanh: return Float(m, math + ".Tanh(" + A(0) + ")");
            case IrMathOp.Rsqrt: return Float(m, "(" + (f32 ? "1f" : "1d") + " / " + math + ".Sqrt(" + A(0) + "))");
            case IrMathOp.Exp2Fast: return Float(m, floatType + ".Exp2(" + A(0) + ")");
            case IrMathOp.RcpFast: return Float(m, "(" + (f32 ? "1f" : "1d") + " / " + A(0) + ")");
            case IrMathOp.Min:
                return f32 || f64 ? floatType + ".MinNumber(" + A(0) + ", " + A(1) + ")" : CpuNames.SystemMath + ".Min(" + A(0) + ", " + A(1) + ")";
            case IrMathOp.Max:
                return f32 || f64 ? floatType + ".MaxNumber(" + A(0) + ", " + A(1) + ")" : CpuNames.SystemMath + ".Max(" + A(0) + ", " + A(1) + ")";
            case IrMathOp.Fma: return Float(m, math + ".FusedMultiplyAdd(" + A(0) + ", " + A(1) + ", " + A(2) + ")");
            case IrMathOp.PackBF16: return CpuNames.Math + ".PackBFloat16(" + A(0) + ", " + A(1) + ")";
            case IrMathOp.PackF16: return CpuNames.Math + ".PackHalf(" + A(0) + ", " + A(1) + ")";
            case IrMathOp.UnpackBF16: return CpuNames.Math + ".UnpackBFloat16(" + A(0) + ", " + A(1) + ")";
            case IrMathOp.UnpackF16: return CpuNames.Math + ".UnpackHalf(" + A(0) + ", " + A(1) + ")";
            default: throw new NotSupportedException("The CPU backend does not know the math operation " + m.Op + ".");
        }
    }

    private static string Float(IrMath m, string text)
    {
        if (m.Type is not (IrType.F32 or IrType.F64))
            throw new NotSupportedException("The CPU backend expects " + m.Op + " on F32 or F64, not " + m.Type + ".");
        return text;
    }
}
