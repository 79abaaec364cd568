using System;
using System.Collections.Generic;
using RectifiedSpaAttn.Generators.Ir;

namespace RectifiedSpaAttn.Generators.Backends.Cpu;

/// <summary>
/// Turns IR expressions into C# expressions with the same meaning. Every operation is fully parenthesised; the
/// thread body is inside <c>unchecked</c>, so integer arithmetic wraps as the IR says. The generated thread code
/// sees the launch through a frame struct <c>f</c> and its indices as <c>tx</c>, <c>ty</c>, <c>tz</c>, <c>linear</c>.
/// </summary>
internal sealed class CpuExpressionEmitter : IrExprVisitor<string>
{
    /// <summary>Every local the emitted code has read so far (the backend declares only these).</summary>
    public HashSet<IrLocal> Reads { get; } = new();

    public string Emit(IrExpr e) => Visit(e);

    // One method per expression kind (IrExprVisitor): a kind this backend misses does not build.
    internal override string VisitConst(IrConst c) => CpuNames.Constant(c);
    internal override string VisitLocalRef(IrLocalRef l) => Read(l.Local);
    internal override string VisitParamRef(IrParamRef p) => "f.S" + p.Param.Index;
    internal override string VisitSpecial(IrSpecial s) => Special(s.Kind);
    internal override string VisitUnary(IrUnary u) => Unary(u);
    internal override string VisitBinary(IrBinary b) => Binary(b);
    internal override string VisitCompare(IrCompare c) => Compare(c);
    internal override string VisitConditional(IrConditional c) => "(" + Emit(c.Condition) + " ? " + Emit(c.WhenTrue) + " : " + Emit(c.WhenFalse) + ")";
    internal override string VisitConvert(IrConvert c) => Convert(c.Type, c.Operand.Type, Emit(c.Operand));
    internal override string VisitBitcast(IrBitcast c) => Bitcast(c.Type, c.Operand.Type, Emit(c.Operand));
    internal override string VisitLoad(IrLoad l) => CpuNames.Memory + ".Load<" + CpuNames.TypeName(l.View.ElementType) + ">(" + Access(l.View, l.Index) + ")";
    internal override string VisitViewLength(IrViewLength v) => AsLong(v.View.Length);
    internal override string VisitMath(IrMath m) => CpuMathEmitter.Emit(this, m);
    internal override string VisitBufferLength(IrBufferLength b) => "f.L" + b.Param.Index;

    private string Read(IrLocal local)
    {
        Reads.Add(local);
        return CpuNames.Local(local);
    }

    /// <summary>
    /// A condition for <c>if</c>/<c>while</c>. One the C# compiler could fold (but the IR did not) is made opaque, so
    /// that C#'s reachability rules match what the backend emits (no "unreachable code" warnings).
    /// </summary>
    public string Condition(IrExpr e)
        => e is not IrConst && IsCSharpConstant(e) ? CpuNames.Math + ".Opaque(" + Emit(e) + ")" : Emit(e);

    /// <summary>
    /// The first five arguments of every <c>CpuMemory</c> access: root address, root size in bytes, the view's byte
    /// offset, the element index (both long) and the root's name.
    /// </summary>
    public string Access(IrView view, IrExpr index)
        => Root(view.Root) + ", " + AsLong(view.ByteOffset) + ", " + AsLong(index) + ", " + RootName(view.Root);

    /// <summary>Root address and size in bytes of a view's root.</summary>
    public static string Root(IrViewRoot root) => root switch
    {
        IrBufferRoot b => "f.B" + b.Param.Index + ", f.B" + b.Param.Index + "Bytes",
        IrSharedAllocation a => (a.ByteOffset == 0 ? "f.Smem" : "(f.Smem + " + a.ByteOffset + ")") + ", " + a.Bytes + "L",
        IrDynamicSharedRoot => "f.Dyn, f.DynBytes",
        _ => throw new NotSupportedException("The CPU backend does not know the view root " + root.GetType().Name + "."),
    };

    public static string RootName(IrViewRoot root) => CpuNames.StringLiteral(root switch
    {
        IrBufferRoot b => b.Param.Name,
        IrSharedAllocation a => "shared " + a.Name,
        _ => "dynamic shared memory",
    });

    /// <summary>An integer expression as a C# long (I32, U32 and I64 widen implicitly).</summary>
    public string AsLong(IrExpr e)
        => e.Type is IrType.I64 or IrType.I32 or IrType.U32 or IrType.U16 or IrType.U8 ? Emit(e) : "((long)" + Emit(e) + ")";

    private static string Special(IrSpecialKind kind) => kind switch
    {
        IrSpecialKind.GridIdxX => "f.GridIdxX",
        IrSpecialKind.GridIdxY => "f.GridIdxY",
        IrSpecialKind.GridIdxZ => "f.GridIdxZ",
        IrSpecialKind.GridDimX => "f.GridDimX",
        IrSpecialKind.GridDimY => "f.GridDimY",
        IrSpecialKind.GridDimZ => "f.GridDimZ",
        IrSpecialKind.GroupIdxX => "tx",
        IrSpecialKind.GroupIdxY => "ty",
        IrSpecialKind.GroupIdxZ => "tz",
        IrSpecialKind.GroupDimX => "f.GroupDimX",
        IrSpecialKind.GroupDimY => "f.GroupDimY",
        IrSpecialKind.GroupDimZ => "f.GroupDimZ",
        IrSpecialKind.GroupLinearIdx => "linear",
        IrSpecialKind.LaneIdx => "(linear & 31)",
        IrSpecialKind.WarpIdx => "(linear >> 5)",
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, null),
    };

    private string Unary(IrUnary u)
    {
        string x = Emit(u.Operand);
        IrType t = u.Type;
        switch (u.Op)
        {
            case IrUnaryOp.Not: return "(!" + x + ")";
            case IrUnaryOp.Neg:
                return t switch
                {
                    IrType.U32 => "(0u - " + x + ")",
                    IrType.U64 => "(0UL - " + x + ")",
                    IrType.U8 or IrType.U16 => Narrow(t, "(-" + x + ")"),
                    _ => "(-" + x + ")",
                };
            case IrUnaryOp.BitNot:
                return t is IrType.U8 or IrType.U16 ? Narrow(t, "(~" + x + ")") : "(~" + x + ")";
            default: throw new ArgumentOutOfRangeException(nameof(u), u.Op, null);
        }
    }

    private string Binary(IrBinary b)
    {
        string left = Emit(b.Left);
        string right;
        if (b.Op is IrBinaryOp.Shl or IrBinaryOp.Shr)
        {
            // C# shifts take an int count and mask it to the (promoted) left operand's width, as the IR does.
            right = b.Right.Type == IrType.I32 ? Emit(b.Right) : "((int)" + Emit(b.Right) + ")";
        }
        else if (b.Op is IrBinaryOp.Div or IrBinaryOp.Rem && IrTypes.IsInteger(b.Type) && b.Right is IrConst { Bits: 0 })
        {
            // C# rejects division by a constant zero at compile time; the IR may hold one in a path never taken.
            right = CpuNames.Math + ".Opaque(" + Emit(b.Right) + ")";
        }
        else
        {
            right = Emit(b.Right);
        }
        string op = b.Op switch
        {
            IrBinaryOp.Add => "+", IrBinaryOp.Sub => "-", IrBinaryOp.Mul => "*", IrBinaryOp.Div => "/", IrBinaryOp.Rem => "%",
            IrBinaryOp.And => "&", IrBinaryOp.Or => "|", IrBinaryOp.Xor => "^", IrBinaryOp.Shl => "<<", IrBinaryOp.Shr => ">>",
            _ => throw new ArgumentOutOfRangeException(nameof(b), b.Op, null),
        };
        string text = "(" + left + " " + op + " " + right + ")";
        // byte and ushort arithmetic is done in int by C#; the IR's result has the operand type.
        return b.Type is IrType.U8 or IrType.U16 ? Narrow(b.Type, text) : text;
    }

    private string Compare(IrCompare c)
    {
        string op = c.Op switch
        {
            IrCompareOp.Eq => "==", IrCompareOp.Ne => "!=", IrCompareOp.Lt => "<",
            IrCompareOp.Le => "<=", IrCompareOp.Gt => ">", IrCompareOp.Ge => ">=",
            _ => throw new ArgumentOutOfRangeException(nameof(c), c.Op, null),
        };
        string left = Emit(c.Left), right = Emit(c.Right);
        if (c.Left is IrLocalRef a && c.Right is IrLocalRef b && a.Local == b.Local)
        {
            // x != x is the NaN test; C# warns about comparing a variable with itself, so make the sides differ.
            right = c.Left.Type == IrType.Bool ? "(!(!" + right + "))" : "(+" + right + ")";
        }
        return "(" + left + " " + op + " " + right + ")";
    }

    /// <summary>C# conversion with the IR's meaning (see <see cref="IrConvert"/>).</summary>
    public string Convert(IrType target, IrType source, string x)
    {
        if (target == source) return x;
        if (source == IrType.F16) return Convert(target, IrType.F32, "((float)" + x + ")");
        if (source == IrType.BF16) return Convert(target, IrType.F32, x + ".ToSingle()");
        if (target == IrType.Bool) return "(" + x + " != " + (source == IrType.F32 ? "0f" : source == IrType.F64 ? "0d" : "0") + ")";
        if (source == IrType.Bool) return "((" + CpuNames.TypeName(target) + ")(" + x + " ? 1 : 0))";
        switch (target)
        {
            case IrType.F16:
                return source is IrType.F32 or IrType.F64
                    ? "((" + CpuNames.Half + ")" + x + ")"
                    : "((" + CpuNames.Half + ")(float)" + x + ")";
            case IrType.BF16:
                return source == IrType.F64
                    ? CpuNames.BFloat16 + ".FromDouble(" + x + ")"
                    : CpuNames.BFloat16 + ".FromSingle(" + (source == IrType.F32 ? x : "((float)" + x + ")") + ")";
            default:
                // Inside unchecked: integers truncate or extend by the source's signedness; float to integer
                // truncates toward zero (saturating on .NET 9+); integer to float rounds to nearest even.
                return "((" + CpuNames.TypeName(target) + ")" + x + ")";
        }
    }

    private static string Bitcast(IrType target, IrType source, string x)
    {
        if (target == source) return x;
        string bc = CpuNames.BitConverter;
        switch (source, target)
        {
            case (IrType.F32, IrType.I32): return bc + ".SingleToInt32Bits(" + x + ")";
            case (IrType.F32, IrType.U32): return bc + ".SingleToUInt32Bits(" + x + ")";
            case (IrType.I32, IrType.F32): return bc + ".Int32BitsToSingle(" + x + ")";
            case (IrType.U32, IrType.F32): return bc + ".UInt32BitsToSingle(" + x + ")";
            case (IrType.F64, IrType.I64): return bc + ".DoubleToInt64Bits(" + x + ")";
            case (IrType.F64, IrType.U64): return bc + ".DoubleToUInt64Bits(" + x + ")";
            case (IrType.I64, IrType.F64): return bc + ".Int64BitsToDouble(" + x + ")";
            case (IrType.U64, IrType.F64): return bc + ".UInt64BitsToDouble(" + x + ")";
            case (IrType.F16, IrType.U16): return bc + ".HalfToUInt16Bits(" + x + ")";
            case (IrType.U16, IrType.F16): return bc + ".UInt16BitsToHalf(" + x + ")";
            case (IrType.BF16, IrType.U16): return x + ".RawBits";
            case (IrType.U16, IrType.BF16): return CpuNames.BFloat16 + ".FromBits(" + x + ")";
            case (IrType.F16, IrType.BF16): return Bitcast(target, IrType.U16, Bitcast(IrType.U16, source, x));
            case (IrType.BF16, IrType.F16): return Bitcast(target, IrType.U16, Bitcast(IrType.U16, source, x));
        }
        if (IrTypes.IsInteger(source) && IrTypes.IsInteger(target) && IrTypes.SizeOf(source) == IrTypes.SizeOf(target))
            return "((" + CpuNames.TypeName(target) + ")" + x + ")";
        throw new NotSupportedException("The CPU backend cannot reinterpret " + source + " as " + target + ".");
    }

    private static string Narrow(IrType t, string text) => "((" + CpuNames.TypeName(t) + ")" + text + ")";

    /// <summary>Whether the emitted C# would be a compile-time constant (so C# would fold it in reachability and division checks).</summary>
    private static bool IsCSharpConstant(IrExpr e) => e switch
    {
        IrConst c => c.Type is not (IrType.F16 or IrType.BF16),
        IrUnary u => IsCSharpConstant(u.Operand),
        IrBinary b => IsCSharpConstant(b.Left) && IsCSharpConstant(b.Right),
        IrCompare c => IsCSharpConstant(c.Left) && IsCSharpConstant(c.Right),
        IrConditional c => IsCSharpConstant(c.Condition) && IsCSharpConstant(c.WhenTrue) && IsCSharpConstant(c.WhenFalse),
        IrConvert c => c.Type is not (IrType.F16 or IrType.BF16) && c.Operand.Type is not (IrType.F16 or IrType.BF16) && IsCSharpConstant(c.Operand),
        _ => false,
    };
}
