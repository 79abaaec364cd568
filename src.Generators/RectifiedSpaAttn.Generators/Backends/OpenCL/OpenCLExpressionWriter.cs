using System;
using System.Linq;
using RectifiedSpaAttn.Generators.Ir;

namespace RectifiedSpaAttn.Generators.Backends.OpenCL;

/// <summary>
/// IR expressions as OpenCL C expressions with C# meaning. Every result is parenthesised. C's integer promotions and
/// undefined signed overflow are the traps: signed add/sub/mul/neg/shl run on the unsigned type and cast back (C#
/// wraps), and 8/16-bit results are cast back to their type.
/// </summary>
internal static class OpenCLExpressionWriter
{
    public static string Write(IrExpr e) => Writer.Instance.Visit(e);

    /// <summary>One method per expression kind (IrExprVisitor): a kind this backend misses does not build.</summary>
    private sealed class Writer : IrExprVisitor<string>
    {
        public static readonly Writer Instance = new();

        internal override string VisitConst(IrConst c) => OpenCLLiterals.Of(c);
        internal override string VisitLocalRef(IrLocalRef l) => OpenCLNames.Local(l.Local);
        internal override string VisitParamRef(IrParamRef p) => p.Type == IrType.Bool ? $"({OpenCLNames.Scalar(p.Param)} != 0u)" : OpenCLNames.Scalar(p.Param);
        internal override string VisitSpecial(IrSpecial s) => Special(s.Kind);
        internal override string VisitUnary(IrUnary u) => Unary(u);
        internal override string VisitBinary(IrBinary b) => Binary(b);
        internal override string VisitCompare(IrCompare c) => $"({Comparison(c)})";
        internal override string VisitConditional(IrConditional c) => Narrow(c.Type, $"({Write(c.Condition)} ? {Write(c.WhenTrue)} : {Write(c.WhenFalse)})");
        internal override string VisitConvert(IrConvert c) => Convert(c.Type, c.Operand);
        internal override string VisitBitcast(IrBitcast b) => Bitcast(b.Type, b.Operand);
        internal override string VisitLoad(IrLoad l) => Load(l);
        internal override string VisitViewLength(IrViewLength v) => $"((long)({Write(v.View.Length)}))";
        internal override string VisitBufferLength(IrBufferLength b) => $"((long){OpenCLNames.BufferLength(b.Param)})";
        internal override string VisitMath(IrMath m) => Math(m);
    }

    private static string Special(IrSpecialKind k) => k switch
    {
        IrSpecialKind.GridIdxX => "((int)get_group_id(0))",
        IrSpecialKind.GridIdxY => "((int)get_group_id(1))",
        IrSpecialKind.GridIdxZ => "((int)get_group_id(2))",
        IrSpecialKind.GridDimX => "((int)get_num_groups(0))",
        IrSpecialKind.GridDimY => "((int)get_num_groups(1))",
        IrSpecialKind.GridDimZ => "((int)get_num_groups(2))",
        IrSpecialKind.GroupIdxX => "((int)get_local_id(0))",
        IrSpecialKind.GroupIdxY => "((int)get_local_id(1))",
        IrSpecialKind.GroupIdxZ => "((int)get_local_id(2))",
        IrSpecialKind.GroupDimX => "((int)get_local_size(0))",
        IrSpecialKind.GroupDimY => "((int)get_local_size(1))",
        IrSpecialKind.GroupDimZ => "((int)get_local_size(2))",
        IrSpecialKind.GroupLinearIdx => "rsa_lin",
        IrSpecialKind.LaneIdx => "(rsa_lin & 31)",
        _ => "(rsa_lin >> 5)",
    };

    /// <summary>8/16-bit integers are promoted to int by C; cast results back so they wrap as the IR type does.</summary>
    private static string Narrow(IrType t, string expr) => t is IrType.U8 or IrType.U16 ? $"(({OpenCLNames.Type(t)}){expr})" : expr;

    private static string Unsigned(IrType t) => t == IrType.I32 ? "uint" : "ulong";

    private static string Unary(IrUnary u)
    {
        string x = Write(u.Operand);
        IrType t = u.Type;
        switch (u.Op)
        {
            case IrUnaryOp.Not: return $"(!{x})";
            case IrUnaryOp.BitNot: return Narrow(t, $"(~{x})");
            default:
                if (IrTypes.IsFloat(t)) return $"(-{x})";
                if (t is IrType.I32 or IrType.I64) return $"(({OpenCLNames.Type(t)})(({Unsigned(t)})0 - ({Unsigned(t)}){x}))";
                return Narrow(t, $"(({OpenCLNames.Type(t)})0 - {x})");
        }
    }

    private static string Binary(IrBinary b)
    {
        string l = Write(b.Left), r = Write(b.Right);
        IrType t = b.Type;
        if (IrTypes.IsFloat(t))
            return b.Op switch
            {
                IrBinaryOp.Add => $"({l} + {r})",
                IrBinaryOp.Sub => $"({l} - {r})",
                IrBinaryOp.Mul => $"({l} * {r})",
                IrBinaryOp.Div => $"({l} / {r})",
                IrBinaryOp.Rem => $"fmod({l}, {r})",
                _ => throw new NotSupportedException($"OpenCL backend: {b.Op} on {t}"),
            };
        if (t == IrType.Bool)
            return b.Op switch
            {
                IrBinaryOp.And => $"({l} & {r})",
                IrBinaryOp.Or => $"({l} | {r})",
                IrBinaryOp.Xor => $"({l} != {r})",
                _ => throw new NotSupportedException($"OpenCL backend: {b.Op} on bool"),
            };

        string mask = (IrTypes.SizeOf(t) * 8 - 1).ToString(System.Globalization.CultureInfo.InvariantCulture);
        bool signedWide = t is IrType.I32 or IrType.I64;
        string type = OpenCLNames.Type(t);
        switch (b.Op)
        {
            case IrBinaryOp.Add or IrBinaryOp.Sub or IrBinaryOp.Mul:
            {
                string op = b.Op == IrBinaryOp.Add ? "+" : b.Op == IrBinaryOp.Sub ? "-" : "*";
                if (signedWide) return $"(({type})(({Unsigned(t)}){l} {op} ({Unsigned(t)}){r}))";
                return Narrow(t, $"({l} {op} {r})");
            }
            case IrBinaryOp.Div: return Narrow(t, $"({l} / {r})");
            case IrBinaryOp.Rem: return Narrow(t, $"({l} % {r})");
            case IrBinaryOp.And: return Narrow(t, $"({l} & {r})");
            case IrBinaryOp.Or: return Narrow(t, $"({l} | {r})");
            case IrBinaryOp.Xor: return Narrow(t, $"({l} ^ {r})");
            case IrBinaryOp.Shl:
                if (signedWide) return $"(({type})(({Unsigned(t)}){l} << ({r} & {mask})))";
                return Narrow(t, $"({l} << ({r} & {mask}))");
            default: // Shr: arithmetic on signed types, logical on unsigned (C does the same for these types).
                return Narrow(t, $"({l} >> ({r} & {mask}))");
        }
    }

    /// <summary>
    /// <paramref name="e"/> as the condition of an <c>if</c>: a comparison without its own parentheses, since clang
    /// (pocl's compiler) warns about <c>if ((a == b))</c> ("equality comparison with extraneous parentheses").
    /// </summary>
    public static string Condition(IrExpr e) => e is IrCompare c ? Comparison(c) : Write(e);

    private static string Comparison(IrCompare c) => $"{Write(c.Left)} {CompareOperator(c.Op)} {Write(c.Right)}";

    private static string CompareOperator(IrCompareOp op) => op switch
    {
        IrCompareOp.Eq => "==", IrCompareOp.Ne => "!=", IrCompareOp.Lt => "<", IrCompareOp.Le => "<=", IrCompareOp.Gt => ">", _ => ">=",
    };

    private static string Convert(IrType to, IrExpr operand)
    {
        IrType from = operand.Type;
        string x = Write(operand);
        if (from == to) return x;
        if (from is IrType.F16 or IrType.BF16)
        {
            string f32 = from == IrType.F16 ? $"rsa_f16_to_f32({x})" : $"rsa_bf16_to_f32({x})";
            return to == IrType.F32 ? f32 : ConvertText(IrType.F32, to, f32);
        }
        if (to is IrType.F16 or IrType.BF16)
        {
            // The IR converts to 16-bit floats from F32 only; anything else goes through F32 first.
            string f32 = from == IrType.F32 ? x : ConvertText(from, IrType.F32, x);
            return to == IrType.F16 ? $"rsa_f32_to_f16({f32})" : $"rsa_f32_to_bf16({f32})";
        }
        return ConvertText(from, to, x);
    }

    private static string ConvertText(IrType from, IrType to, string x)
    {
        if (to == IrType.Bool) return $"({x} != 0)";
        if (IrTypes.IsInteger(to) && IrTypes.IsFloat(from))
        {
            // Truncates toward zero; saturating (NaN -> 0) like .NET's float-to-integer conversions, instead of C's UB.
            // .NET saturates only to the 32- and 64-bit types: to byte and ushort it goes through int and keeps the
            // low bits ((byte)-2.75f is 254), and so does this.
            if (to is IrType.U8 or IrType.U16) return $"(({OpenCLNames.Type(to)})convert_int_sat_rtz({x}))";
            return $"convert_{OpenCLNames.Type(to)}_sat_rtz({x})";
        }
        return $"(({OpenCLNames.Type(to)}){x})";
    }

    private static string Bitcast(IrType to, IrExpr operand)
    {
        string x = Write(operand);
        if (OpenCLNames.Type(to) == OpenCLNames.Type(operand.Type)) return x;
        if (IrTypes.IsFloat(to) || IrTypes.IsFloat(operand.Type)) return $"as_{OpenCLNames.Type(to)}({x})";
        return $"(({OpenCLNames.Type(to)}){x})";
    }

    private static string Load(IrLoad l)
    {
        string element = OpenCLAddressing.Element(l.View, Write(l.Index), Write);
        return l.Type == IrType.Bool ? $"({element} != 0)" : $"({element})";
    }

    private static string Math(IrMath m)
    {
        string[] a = m.Args.Select(Write).ToArray();
        bool isFloat = IrTypes.IsFloat(m.Type);
        switch (m.Op)
        {
            case IrMathOp.Abs:
                if (isFloat) return $"fabs({a[0]})";
                if (m.Type is IrType.I32 or IrType.I64)
                {
                    // Spelled out on the unsigned type: MinValue stays MinValue (C# would throw), and no compiler may
                    // assume the result is non-negative, as some do after OpenCL's abs.
                    string t = OpenCLNames.Type(m.Type), u = Unsigned(m.Type);
                    return $"({a[0]} < 0 ? ({t})(({u})0 - ({u}){a[0]}) : {a[0]})";
                }
                return a[0]; // unsigned: already its own absolute value
            case IrMathOp.Min: return isFloat ? $"fmin({a[0]}, {a[1]})" : $"min({a[0]}, {a[1]})";
            case IrMathOp.Max: return isFloat ? $"fmax({a[0]}, {a[1]})" : $"max({a[0]}, {a[1]})";
            case IrMathOp.Fma: return $"fma({a[0]}, {a[1]}, {a[2]})";
            case IrMathOp.Exp2Fast: return $"native_exp2({a[0]})";
            case IrMathOp.RcpFast: return $"native_recip({a[0]})";
            case IrMathOp.PackBF16: return $"rsa_pack_bf16({a[0]}, {a[1]})";
            case IrMathOp.PackF16: return $"rsa_pack_f16({a[0]}, {a[1]})";
            case IrMathOp.UnpackBF16: return $"rsa_bf16_to_f32({Half(m.Args[1], a[0], a[1])})";
            case IrMathOp.UnpackF16: return $"rsa_f16_to_f32({Half(m.Args[1], a[0], a[1])})";
            default:
                string f = m.Op switch
                {
                    IrMathOp.Sqrt => "sqrt", IrMathOp.Exp => "exp", IrMathOp.Exp2 => "exp2", IrMathOp.Log => "log",
                    IrMathOp.Log2 => "log2", IrMathOp.Floor => "floor", IrMathOp.Ceil => "ceil", IrMathOp.Sin => "sin",
                    IrMathOp.Cos => "cos", IrMathOp.Tanh => "tanh", IrMathOp.Rsqrt => "rsqrt",
                    _ => throw new NotSupportedException($"OpenCL backend: math {m.Op}"),
                };
                return $"{f}({a[0]})";
        }
    }

    /// <summary>The 16 bits of a packed pair that the (usually constant) high flag selects.</summary>
    private static string Half(IrExpr high, string packed, string highText) => high is IrConst c
        ? (c.IsTrue ? $"(ushort)({packed} >> 16)" : $"(ushort)({packed} & 0xffffu)")
        : $"(ushort)({highText} ? {packed} >> 16 : {packed} & 0xffffu)";
}
