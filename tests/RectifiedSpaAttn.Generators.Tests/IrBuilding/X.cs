using RectifiedSpaAttn.Generators.Ir;

namespace RectifiedSpaAttn.Generators.Tests;

/// <summary>
/// Terse constructors for hand-written IR: constants, references, views, expressions, and statements (for
/// <see cref="IrBuilder.Build"/>'s body). Used as <c>X.Add(...)</c> or through <c>using static</c>.
/// </summary>
internal static class X
{
    // ---------------------------------------------------------------- constants and references

    public static IrConst I32(int v) => IrConst.Int(IrType.I32, v);
    public static IrConst U32(uint v) => IrConst.Int(IrType.U32, v);
    public static IrConst I64(long v) => IrConst.Int(IrType.I64, v);
    public static IrConst U64(ulong v) => IrConst.Int(IrType.U64, (long)v);
    public static IrConst U8(byte v) => IrConst.Int(IrType.U8, v);
    public static IrConst U16(ushort v) => IrConst.Int(IrType.U16, v);
    public static IrConst F32(float v) => IrConst.Real(IrType.F32, v);
    public static IrConst F64(double v) => IrConst.Real(IrType.F64, v);
    public static IrConst Bool(bool v) => IrConst.Bool(v);
    public static IrConst Const(IrType t, long bits) => IrConst.Int(t, bits);

    public static IrLocalRef Ref(IrLocal l) => new(l);
    public static IrParamRef Arg(IrParam p) => new(p);
    public static IrSpecial S(IrSpecialKind k) => new(k);
    public static IrSpecial Tid => S(IrSpecialKind.GroupIdxX);
    public static IrSpecial Lane => S(IrSpecialKind.LaneIdx);

    /// <summary><c>Grid.IdxX * Group.DimX + Group.IdxX</c>: the global thread index of a 1-D launch.</summary>
    public static IrExpr GlobalX => Add(Mul(S(IrSpecialKind.GridIdxX), S(IrSpecialKind.GroupDimX)), Tid);

    // ---------------------------------------------------------------- views

    /// <summary>The whole buffer parameter as a view of its own element type.</summary>
    public static IrView View(IrParam buffer) => new(new IrBufferRoot(buffer), buffer.Type, I64(0), new IrBufferLength(buffer));

    /// <summary>The buffer seen as elements of <paramref name="type"/> from byte <paramref name="byteOffset"/> to its end.</summary>
    public static IrView View(IrParam buffer, IrType type, long byteOffset) =>
        new(new IrBufferRoot(buffer), type, I64(byteOffset),
            Div(Sub(Mul(new IrBufferLength(buffer), I64(IrTypes.SizeOf(buffer.Type))), I64(byteOffset)), I64(IrTypes.SizeOf(type))));

    /// <summary>A window of a buffer re-typed as <paramref name="type"/>.</summary>
    public static IrView View(IrParam buffer, IrType type, IrExpr byteOffset, IrExpr length) => new(new IrBufferRoot(buffer), type, byteOffset, length);

    public static IrView View(IrSharedAllocation a) => new(a, a.Type, I64(0), I64(a.Length));

    public static IrView View(IrSharedAllocation a, IrType type, long byteOffset, long length) => new(a, type, I64(byteOffset), I64(length));

    // ---------------------------------------------------------------- expressions

    public static IrBinary Op(IrBinaryOp op, IrExpr a, IrExpr b) => new(op, a, b);
    public static IrBinary Add(IrExpr a, IrExpr b) => new(IrBinaryOp.Add, a, b);
    public static IrBinary Sub(IrExpr a, IrExpr b) => new(IrBinaryOp.Sub, a, b);
    public static IrBinary Mul(IrExpr a, IrExpr b) => new(IrBinaryOp.Mul, a, b);
    public static IrBinary Div(IrExpr a, IrExpr b) => new(IrBinaryOp.Div, a, b);
    public static IrBinary Rem(IrExpr a, IrExpr b) => new(IrBinaryOp.Rem, a, b);
    public static IrBinary And(IrExpr a, IrExpr b) => new(IrBinaryOp.And, a, b);
    public static IrBinary Or(IrExpr a, IrExpr b) => new(IrBinaryOp.Or, a, b);
    public static IrBinary Xor(IrExpr a, IrExpr b) => new(IrBinaryOp.Xor, a, b);
    public static IrBinary Shl(IrExpr a, IrExpr b) => new(IrBinaryOp.Shl, a, b);
    public static IrBinary Shr(IrExpr a, IrExpr b) => new(IrBinaryOp.Shr, a, b);

    public static IrCompare Cmp(IrCompareOp op, IrExpr a, IrExpr b) => new(op, a, b);
    public static IrCompare Eq(IrExpr a, IrExpr b) => new(IrCompareOp.Eq, a, b);
    public static IrCompare Ne(IrExpr a, IrExpr b) => new(IrCompareOp.Ne, a, b);
    public static IrCompare Lt(IrExpr a, IrExpr b) => new(IrCompareOp.Lt, a, b);
    public static IrCompare Le(IrExpr a, IrExpr b) => new(IrCompareOp.Le, a, b);
    public static IrCompare Gt(IrExpr a, IrExpr b) => new(IrCompareOp.Gt, a, b);
    public static IrCompare Ge(IrExpr a, IrExpr b) => new(IrCompareOp.Ge, a, b);

    public static IrUnary Neg(IrExpr a) => new(IrUnaryOp.Neg, a);
    public static IrUnary Not(IrExpr a) => new(IrUnaryOp.Not, a);
    public static IrUnary BitNot(IrExpr a) => new(IrUnaryOp.BitNot, a);

    public static IrConditional Cond(IrExpr c, IrExpr whenTrue, IrExpr whenFalse) => new(c, whenTrue, whenFalse);
    public static IrConvert Conv(IrType to, IrExpr e) => new(to, e);
    public static IrBitcast Bitcast(IrType to, IrExpr e) => new(to, e);
    public static IrMath Math(IrMathOp op, IrType type, params IrExpr[] args) => new(op, type, args);
    /// <summary>A math operation typed like its first operand.</summary>
    public static IrMath Math(IrMathOp op, params IrExpr[] args) => new(op, args[0].Type, args);

    public static IrLoad Load(IrView view, IrExpr index) => new(view, index);
    /// <summary>A load of an fp16/bf16 element, widened to F32 as the frontend always does.</summary>
    public static IrExpr LoadF32(IrView view, IrExpr index) => Conv(IrType.F32, Load(view, index));
    public static IrViewLength Len(IrView view) => new(view);
    /// <summary>An int index widened to long, as C#'s ArrayView indexer takes it.</summary>
    public static IrExpr Wide(IrExpr i32) => Conv(IrType.I64, i32);

    // ---------------------------------------------------------------- statements, for Build(entryPoint, body)

    public static IrStmt Set(IrLocal l, IrExpr v) => new IrAssign(l, v);
    public static IrStmt Store(IrView v, IrExpr i, IrExpr value) => new IrStore(v, i, value);
    public static IrStmt If(IrExpr c, params IrStmt[] then) => new IrIf(c, Block(then), IrBlock.Empty);
    public static IrStmt IfElse(IrExpr c, IrStmt[] then, IrStmt[] otherwise) => new IrIf(c, Block(then), Block(otherwise));
    public static IrBlock Block(params IrStmt[] s) => new(s);
    /// <summary><c>for (; cond; step) body</c>.</summary>
    public static IrStmt For(IrExpr? cond, IrStmt[] step, params IrStmt[] body) => new IrLoop(cond, Block(body), Block(step));
    public static IrStmt Break => IrBreak.Instance;
    public static IrStmt Continue => IrContinue.Instance;
    public static IrStmt Return => IrReturn.Instance;
    public static IrStmt GroupBarrier => IrBarrier.Instance;
}
