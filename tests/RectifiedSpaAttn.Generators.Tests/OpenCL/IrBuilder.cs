using RectifiedSpaAttn.Generators.Ir;

namespace RectifiedSpaAttn.Generators.Tests.OpenCL;

/// <summary>
/// Builds an <see cref="IrKernel"/> by hand for the OpenCL backend's tests: parameters, locals and shared allocations
/// get consecutive indices, ids and 16-byte aligned offsets, as the frontend would give them.
/// </summary>
internal sealed class IrBuilder
{
    private readonly List<IrParam> _parameters = [];
    private readonly List<IrLocal> _locals = [];
    private readonly List<IrSharedAllocation> _shared = [];
    private int _sharedEnd;
    private bool _dynamic;

    public IrParam Buffer(string name, IrType type) => Add(new IrParam(_parameters.Count, name, IrParamKind.Buffer, type));

    public IrParam Scalar(string name, IrType type) => Add(new IrParam(_parameters.Count, name, IrParamKind.Scalar, type));

    private IrParam Add(IrParam p) { _parameters.Add(p); return p; }

    public IrLocal Local(string name, IrType type)
    {
        var l = new IrLocal(_locals.Count + 1, name, type);
        _locals.Add(l);
        return l;
    }

    public IrSharedAllocation Shared(IrType type, int length)
    {
        var a = new IrSharedAllocation(_shared.Count, type, length, _sharedEnd);
        _shared.Add(a);
        _sharedEnd = (_sharedEnd + a.Bytes + 15) / 16 * 16;
        return a;
    }

    /// <summary>A view of the dynamic shared memory as <paramref name="type"/> elements from <paramref name="byteOffset"/>.</summary>
    public IrView Dynamic(IrType type, long byteOffset, long length)
    {
        _dynamic = true;
        return new IrView(IrDynamicSharedRoot.Instance, type, Ir.I64(byteOffset), Ir.I64(length));
    }

    public IrKernel Build(string entryPoint, params IrStmt[] body)
        => new(entryPoint, _parameters, _locals, _shared, _dynamic, new IrBlock(body));
}

/// <summary>Terse constructors for IR expressions and statements.</summary>
internal static class Ir
{
    public static IrConst I32(int v) => IrConst.Int(IrType.I32, v);
    public static IrConst U32(uint v) => IrConst.Int(IrType.U32, v);
    public static IrConst I64(long v) => IrConst.Int(IrType.I64, v);
    public static IrConst U64(ulong v) => IrConst.Int(IrType.U64, (long)v);
    public static IrConst U8(byte v) => IrConst.Int(IrType.U8, v);
    public static IrConst U16(ushort v) => IrConst.Int(IrType.U16, v);
    public static IrConst F32(float v) => IrConst.Real(IrType.F32, v);
    public static IrConst F64(double v) => IrConst.Real(IrType.F64, v);
    public static IrConst Bool(bool v) => IrConst.Bool(v);

    public static IrLocalRef R(IrLocal l) => new(l);
    public static IrParamRef P(IrParam p) => new(p);
    public static IrSpecial S(IrSpecialKind k) => new(k);

    /// <summary>The whole buffer as its own element type.</summary>
    public static IrView View(IrParam buffer) => new(new IrBufferRoot(buffer), buffer.Type, I64(0), new IrBufferLength(buffer));

    /// <summary>A window of a buffer re-typed as <paramref name="type"/>, starting <paramref name="byteOffset"/> bytes in.</summary>
    public static IrView View(IrParam buffer, IrType type, IrExpr byteOffset, IrExpr length) => new(new IrBufferRoot(buffer), type, byteOffset, length);

    public static IrView View(IrSharedAllocation a) => new(a, a.Type, I64(0), I64(a.Length));

    public static IrView View(IrSharedAllocation a, IrType type, long byteOffset, long length) => new(a, type, I64(byteOffset), I64(length));

    public static IrExpr Add(IrExpr a, IrExpr b) => new IrBinary(IrBinaryOp.Add, a, b);
    public static IrExpr Sub(IrExpr a, IrExpr b) => new IrBinary(IrBinaryOp.Sub, a, b);
    public static IrExpr Mul(IrExpr a, IrExpr b) => new IrBinary(IrBinaryOp.Mul, a, b);
    public static IrExpr Div(IrExpr a, IrExpr b) => new IrBinary(IrBinaryOp.Div, a, b);
    public static IrExpr Rem(IrExpr a, IrExpr b) => new IrBinary(IrBinaryOp.Rem, a, b);
    public static IrExpr And(IrExpr a, IrExpr b) => new IrBinary(IrBinaryOp.And, a, b);
    public static IrExpr Or(IrExpr a, IrExpr b) => new IrBinary(IrBinaryOp.Or, a, b);
    public static IrExpr Xor(IrExpr a, IrExpr b) => new IrBinary(IrBinaryOp.Xor, a, b);
    public static IrExpr Shl(IrExpr a, IrExpr b) => new IrBinary(IrBinaryOp.Shl, a, b);
    public static IrExpr Shr(IrExpr a, IrExpr b) => new IrBinary(IrBinaryOp.Shr, a, b);
    public static IrExpr Cmp(IrCompareOp op, IrExpr a, IrExpr b) => new IrCompare(op, a, b);
    public static IrExpr Lt(IrExpr a, IrExpr b) => Cmp(IrCompareOp.Lt, a, b);
    public static IrExpr Eq(IrExpr a, IrExpr b) => Cmp(IrCompareOp.Eq, a, b);
    public static IrExpr Neg(IrExpr a) => new IrUnary(IrUnaryOp.Neg, a);
    public static IrExpr Not(IrExpr a) => new IrUnary(IrUnaryOp.Not, a);
    public static IrExpr BitNot(IrExpr a) => new IrUnary(IrUnaryOp.BitNot, a);
    public static IrExpr Cond(IrExpr c, IrExpr t, IrExpr f) => new IrConditional(c, t, f);
    public static IrExpr Conv(IrType t, IrExpr e) => new IrConvert(t, e);
    public static IrExpr Cast(IrType t, IrExpr e) => new IrBitcast(t, e);
    public static IrExpr Load(IrView v, IrExpr i) => new IrLoad(v, i);
    public static IrExpr MathOf(IrMathOp op, IrType t, params IrExpr[] args) => new IrMath(op, t, args);
    public static IrExpr F(IrMathOp op, params IrExpr[] args) => new IrMath(op, args[0].Type, args);

    /// <summary>Group.LinearIndex plus Grid.IdxX * group size: the global thread index of a 1-D launch.</summary>
    public static IrExpr GlobalX => Add(Mul(S(IrSpecialKind.GridIdxX), S(IrSpecialKind.GroupDimX)), S(IrSpecialKind.GroupIdxX));

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
