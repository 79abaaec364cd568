using RectifiedSpaAttn.Generators.Ir;

namespace RectifiedSpaAttn.Generators.Tests.Cpu;

/// <summary>
/// Builds kernel IR by hand for backend tests: parameters, locals and shared allocations, and statements through
/// nested lambdas (<c>b.If(cond, () =&gt; ...)</c>). Expression helpers are static (<see cref="X"/>).
/// </summary>
internal sealed class IrBuilder
{
    private readonly List<IrParam> _parameters = [];
    private readonly List<IrLocal> _locals = [];
    private readonly List<IrSharedAllocation> _shared = [];
    private readonly Stack<List<IrStmt>> _blocks = new();
    private bool _usesDynamicShared;
    private int _sharedEnd;

    public IrBuilder() => _blocks.Push([]);

    public IrParam Buffer(string name, IrType elementType)
    {
        var p = new IrParam(_parameters.Count, name, IrParamKind.Buffer, elementType);
        _parameters.Add(p);
        return p;
    }

    public IrParamRef Scalar(string name, IrType type)
    {
        var p = new IrParam(_parameters.Count, name, IrParamKind.Scalar, type);
        _parameters.Add(p);
        return new IrParamRef(p);
    }

    public IrLocal Local(string name, IrType type)
    {
        var l = new IrLocal(_locals.Count, name, type);
        _locals.Add(l);
        return l;
    }

    /// <summary>A local assigned <paramref name="value"/> right away.</summary>
    public IrLocal Let(string name, IrExpr value)
    {
        IrLocal l = Local(name, value.Type);
        Assign(l, value);
        return l;
    }

    public IrSharedAllocation Shared(IrType type, int length)
    {
        var a = new IrSharedAllocation(_shared.Count, type, length, _sharedEnd);
        _shared.Add(a);
        _sharedEnd = (_sharedEnd + a.Bytes + 15) / 16 * 16;
        return a;
    }

    /// <summary>The whole buffer parameter as a view.</summary>
    public static IrView View(IrParam buffer) => new(new IrBufferRoot(buffer), buffer.Type, X.I64(0), new IrBufferLength(buffer));

    /// <summary>The buffer parameter seen as elements of <paramref name="type"/> from byte <paramref name="byteOffset"/> on.</summary>
    public static IrView View(IrParam buffer, IrType type, long byteOffset) =>
        new(new IrBufferRoot(buffer), type, X.I64(byteOffset),
            X.Div(X.Sub(X.Mul(new IrBufferLength(buffer), X.I64(IrTypes.SizeOf(buffer.Type))), X.I64(byteOffset)), X.I64(IrTypes.SizeOf(type))));

    public static IrView View(IrSharedAllocation a) => new(a, a.Type, X.I64(0), X.I64(a.Length));

    public IrView DynamicShared(IrType type, long length)
    {
        _usesDynamicShared = true;
        return new IrView(IrDynamicSharedRoot.Instance, type, X.I64(0), X.I64(length));
    }

    // ---------------------------------------------------------------- statements

    public void Add(IrStmt s) => _blocks.Peek().Add(s);
    public void Assign(IrLocal target, IrExpr value) => Add(new IrAssign(target, value));
    public void Store(IrView view, IrExpr index, IrExpr value) => Add(new IrStore(view, index, value));
    public void Return() => Add(IrReturn.Instance);
    public void Break() => Add(IrBreak.Instance);
    public void Continue() => Add(IrContinue.Instance);
    public void Barrier() => Add(IrBarrier.Instance);
    public void WarpBarrier() => Add(IrWarpBarrier.Instance);

    public void If(IrExpr condition, Action then, Action? otherwise = null)
        => Add(new IrIf(condition, Block(then), otherwise is null ? IrBlock.Empty : Block(otherwise)));

    /// <summary><c>while (condition) { body; step; }</c>; a null condition loops until break or return.</summary>
    public void Loop(IrExpr? condition, Action body, Action? step = null)
        => Add(new IrLoop(condition, Block(body), step is null ? IrBlock.Empty : Block(step)));

    /// <summary><c>for (i = start; i &lt; end; i += stride) body</c> over I32.</summary>
    public IrLocal For(string name, IrExpr start, IrExpr end, IrExpr stride, Action<IrLocal> body)
    {
        IrLocal i = Let(name, start);
        Loop(X.Lt(X.Ref(i), end), () => body(i), () => Assign(i, X.Add(X.Ref(i), stride)));
        return i;
    }

    public IrLocal Shuffle(IrShuffleKind kind, IrExpr value, IrExpr lane)
    {
        IrLocal target = Local("shfl", value.Type);
        Add(new IrShuffle(kind, target, value, lane));
        return target;
    }

    public IrBlock Block(Action fill)
    {
        _blocks.Push([]);
        fill();
        return new IrBlock(_blocks.Pop());
    }

    public IrKernel Build(string entryPoint)
        => new(entryPoint, _parameters, _locals, _shared, _usesDynamicShared, new IrBlock(_blocks.Peek()));
}

/// <summary>Expression helpers for <see cref="IrBuilder"/>.</summary>
internal static class X
{
    public static IrConst I32(int v) => IrConst.Int(IrType.I32, v);
    public static IrConst U32(uint v) => IrConst.Int(IrType.U32, v);
    public static IrConst I64(long v) => IrConst.Int(IrType.I64, v);
    public static IrConst F32(float v) => IrConst.Real(IrType.F32, v);
    public static IrConst Bool(bool v) => IrConst.Bool(v);
    public static IrConst Const(IrType t, long bits) => IrConst.Int(t, bits);

    public static IrLocalRef Ref(IrLocal l) => new(l);
    public static IrSpecial S(IrSpecialKind k) => new(k);
    public static IrSpecial Tid => S(IrSpecialKind.GroupIdxX);
    public static IrSpecial Lane => S(IrSpecialKind.LaneIdx);
    /// <summary>Grid.IdxX * Group.DimX + Group.IdxX.</summary>
    public static IrExpr GlobalX => Add(Mul(S(IrSpecialKind.GridIdxX), S(IrSpecialKind.GroupDimX)), Tid);

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
    public static IrExpr Op(IrBinaryOp op, IrExpr a, IrExpr b) => new IrBinary(op, a, b);
    public static IrExpr Neg(IrExpr a) => new IrUnary(IrUnaryOp.Neg, a);
    public static IrExpr Not(IrExpr a) => new IrUnary(IrUnaryOp.Not, a);
    public static IrExpr BitNot(IrExpr a) => new IrUnary(IrUnaryOp.BitNot, a);

    public static IrExpr Eq(IrExpr a, IrExpr b) => new IrCompare(IrCompareOp.Eq, a, b);
    public static IrExpr Ne(IrExpr a, IrExpr b) => new IrCompare(IrCompareOp.Ne, a, b);
    public static IrExpr Lt(IrExpr a, IrExpr b) => new IrCompare(IrCompareOp.Lt, a, b);
    public static IrExpr Ge(IrExpr a, IrExpr b) => new IrCompare(IrCompareOp.Ge, a, b);
    public static IrExpr Gt(IrExpr a, IrExpr b) => new IrCompare(IrCompareOp.Gt, a, b);
    public static IrExpr Cond(IrExpr c, IrExpr a, IrExpr b) => new IrConditional(c, a, b);

    public static IrExpr Conv(IrType t, IrExpr e) => new IrConvert(t, e);
    public static IrExpr Bitcast(IrType t, IrExpr e) => new IrBitcast(t, e);
    public static IrExpr Math(IrMathOp op, IrType t, params IrExpr[] args) => new IrMath(op, t, args);

    public static IrExpr Load(IrView view, IrExpr index) => new IrLoad(view, index);
    /// <summary>A load of an fp16/bf16 element, widened to F32 as the frontend always does.</summary>
    public static IrExpr LoadF32(IrView view, IrExpr index) => Conv(IrType.F32, Load(view, index));
}
