using RectifiedSpaAttn.Generators.Ir;

namespace RectifiedSpaAttn.Generators.Tests.Ptx;

/// <summary>
/// Builds IR kernels by hand for the PTX backend's tests: parameters, locals, shared allocations, and structured
/// statements appended to the innermost open block (<see cref="If"/> and <see cref="Loop"/> open nested ones).
/// </summary>
internal sealed class IrKernelBuilder(string entryPoint)
{
    private readonly List<IrParam> _params = [];
    private readonly List<IrLocal> _locals = [];
    private readonly List<IrSharedAllocation> _shared = [];
    private readonly Stack<List<IrStmt>> _blocks = new([new List<IrStmt>()]);
    private bool _dynamicShared;

    public IrParam Buffer(string name, IrType element) => Add(new IrParam(_params.Count, name, IrParamKind.Buffer, element));

    public IrParam Scalar(string name, IrType type) => Add(new IrParam(_params.Count, name, IrParamKind.Scalar, type));

    private IrParam Add(IrParam p) { _params.Add(p); return p; }

    public IrLocal Local(string name, IrType type)
    {
        var l = new IrLocal(_locals.Count, name, type);
        _locals.Add(l);
        return l;
    }

    /// <summary>A static shared allocation placed after the previous ones (16-byte aligned, as the frontend does).</summary>
    public IrSharedAllocation Shared(IrType element, int length)
    {
        int offset = _shared.Count == 0 ? 0 : (_shared[^1].ByteOffset + _shared[^1].Bytes + 15) / 16 * 16;
        var a = new IrSharedAllocation(_shared.Count, element, length, offset);
        _shared.Add(a);
        return a;
    }

    /// <summary>The whole buffer <paramref name="p"/> as a view.</summary>
    public static IrView View(IrParam p) => new(new IrBufferRoot(p), p.Type, E.I64(0), new IrBufferLength(p));

    public static IrView View(IrSharedAllocation a) => new(a, a.Type, E.I64(0), E.I64(a.Length));

    /// <summary>Dynamic shared memory typed as <paramref name="element"/>, <paramref name="byteOffset"/> bytes in.</summary>
    public IrView DynamicShared(IrType element, long byteOffset, long length)
    {
        _dynamicShared = true;
        return new IrView(IrDynamicSharedRoot.Instance, element, E.I64(byteOffset), E.I64(length));
    }

    public void Emit(IrStmt s) => _blocks.Peek().Add(s);

    public void Assign(IrLocal l, IrExpr value) => Emit(new IrAssign(l, value));

    public void Store(IrView v, IrExpr index, IrExpr value) => Emit(new IrStore(v, index, value));

    public void If(IrExpr condition, Action then, Action? otherwise = null)
        => Emit(new IrIf(condition, Nested(then), otherwise is null ? IrBlock.Empty : Nested(otherwise)));

    public void Loop(IrExpr? condition, Action body, Action? step = null)
        => Emit(new IrLoop(condition, Nested(body), step is null ? IrBlock.Empty : Nested(step)));

    /// <summary><c>for (l = from; l &lt; to; l += by) body</c> on I32.</summary>
    public void For(IrLocal l, IrExpr from, IrExpr to, int by, Action body)
    {
        Assign(l, from);
        Loop(E.Lt(E.Ref(l), to), body, () => Assign(l, E.Add(E.Ref(l), E.I32(by))));
    }

    private IrBlock Nested(Action fill)
    {
        _blocks.Push([]);
        fill();
        return new IrBlock(_blocks.Pop());
    }

    public IrKernel Build()
    {
        if (_blocks.Count != 1) throw new InvalidOperationException("Unclosed block.");
        return new IrKernel(entryPoint, _params, _locals, _shared, _dynamicShared, new IrBlock(_blocks.Peek()));
    }
}

/// <summary>Short expression constructors for hand-written IR.</summary>
internal static class E
{
    public static IrConst I32(int v) => IrConst.Int(IrType.I32, v);
    public static IrConst U32(uint v) => IrConst.Int(IrType.U32, v);
    public static IrConst I64(long v) => IrConst.Int(IrType.I64, v);
    public static IrConst F32(float v) => IrConst.Real(IrType.F32, v);
    public static IrConst F64(double v) => IrConst.Real(IrType.F64, v);
    public static IrConst Bool(bool v) => IrConst.Bool(v);

    public static IrLocalRef Ref(IrLocal l) => new(l);
    public static IrParamRef Arg(IrParam p) => new(p);
    public static IrSpecial Sp(IrSpecialKind k) => new(k);

    /// <summary><c>Grid.IdxX * Group.DimX + Group.IdxX</c>.</summary>
    public static IrExpr GlobalX => Add(Mul(Sp(IrSpecialKind.GridIdxX), Sp(IrSpecialKind.GroupDimX)), Sp(IrSpecialKind.GroupIdxX));

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

    public static IrCompare Eq(IrExpr a, IrExpr b) => new(IrCompareOp.Eq, a, b);
    public static IrCompare Ne(IrExpr a, IrExpr b) => new(IrCompareOp.Ne, a, b);
    public static IrCompare Lt(IrExpr a, IrExpr b) => new(IrCompareOp.Lt, a, b);
    public static IrCompare Le(IrExpr a, IrExpr b) => new(IrCompareOp.Le, a, b);
    public static IrCompare Gt(IrExpr a, IrExpr b) => new(IrCompareOp.Gt, a, b);
    public static IrCompare Ge(IrExpr a, IrExpr b) => new(IrCompareOp.Ge, a, b);

    public static IrUnary Neg(IrExpr a) => new(IrUnaryOp.Neg, a);
    public static IrUnary Not(IrExpr a) => new(IrUnaryOp.Not, a);
    public static IrUnary BitNot(IrExpr a) => new(IrUnaryOp.BitNot, a);

    public static IrConditional Cond(IrExpr c, IrExpr t, IrExpr f) => new(c, t, f);
    public static IrConvert Conv(IrType to, IrExpr a) => new(to, a);
    public static IrBitcast Cast(IrType to, IrExpr a) => new(to, a);
    public static IrLoad Load(IrView v, IrExpr index) => new(v, index);
    public static IrViewLength Len(IrView v) => new(v);

    public static IrMath Math(IrMathOp op, IrType type, params IrExpr[] args) => new(op, type, args);
    public static IrMath Math(IrMathOp op, params IrExpr[] args) => new(op, args[0].Type, args);

    /// <summary>The usual <c>view[i]</c> with an int index: widened to long, as C#'s ArrayView indexer takes it.</summary>
    public static IrExpr Wide(IrExpr i32) => Conv(IrType.I64, i32);
}
