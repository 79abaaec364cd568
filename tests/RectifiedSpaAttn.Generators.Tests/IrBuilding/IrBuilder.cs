using RectifiedSpaAttn.Generators.Ir;

namespace RectifiedSpaAttn.Generators.Tests;

/// <summary>
/// Builds an <see cref="IrKernel"/> by hand for the backends' tests. Parameters, locals and shared allocations get
/// consecutive indices, ids and 16-byte aligned offsets, as the frontend would give them. Statements are appended to
/// the innermost open block, with nested blocks as lambdas (<c>b.If(cond, () =&gt; ...)</c>), or passed whole to
/// <see cref="Build"/> as <see cref="X"/>'s statement constructors. Views and expressions come from <see cref="X"/>.
/// </summary>
internal sealed class IrBuilder
{
    private readonly List<IrParam> _parameters = [];
    private readonly List<IrLocal> _locals = [];
    private readonly List<IrSharedAllocation> _shared = [];
    private readonly Stack<List<IrStmt>> _blocks = new([new List<IrStmt>()]);
    private bool _usesDynamicShared;
    private int _sharedEnd;
    private IrLaunchBounds? _launchBounds;

    /// <summary>Gives the kernel launch bounds (<c>KernelHint.LaunchBounds</c>).</summary>
    public void LaunchBounds(int maxGroupSize, int minGroupsPerMultiprocessor) => _launchBounds = new IrLaunchBounds(maxGroupSize, minGroupsPerMultiprocessor);

    public IrParam Buffer(string name, IrType elementType) => AddParameter(name, IrParamKind.Buffer, elementType);

    public IrParam Scalar(string name, IrType type) => AddParameter(name, IrParamKind.Scalar, type);

    private IrParam AddParameter(string name, IrParamKind kind, IrType type)
    {
        var p = new IrParam(_parameters.Count, name, kind, type);
        _parameters.Add(p);
        return p;
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

    /// <summary>A static shared allocation placed after the previous ones, 16-byte aligned.</summary>
    public IrSharedAllocation Shared(IrType type, int length)
    {
        var a = new IrSharedAllocation(_shared.Count, type, length, _sharedEnd);
        _shared.Add(a);
        _sharedEnd = (_sharedEnd + a.Bytes + 15) / 16 * 16;
        return a;
    }

    /// <summary>The dynamic shared memory as <paramref name="length"/> elements of <paramref name="type"/>.</summary>
    public IrView DynamicShared(IrType type, long length) => DynamicShared(type, 0, length);

    /// <summary>The dynamic shared memory as elements of <paramref name="type"/> from <paramref name="byteOffset"/> on.</summary>
    public IrView DynamicShared(IrType type, long byteOffset, long length)
    {
        _usesDynamicShared = true;
        return new IrView(IrDynamicSharedRoot.Instance, type, X.I64(byteOffset), X.I64(length));
    }

    // ---------------------------------------------------------------- statements into the open block

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

    /// <summary><c>for (i = start; i &lt; end; i += stride) body</c> over a new I32 local.</summary>
    public IrLocal For(string name, IrExpr start, IrExpr end, IrExpr stride, Action<IrLocal> body)
    {
        IrLocal i = Let(name, start);
        Loop(X.Lt(X.Ref(i), end), () => body(i), () => Assign(i, X.Add(X.Ref(i), stride)));
        return i;
    }

    /// <summary><c>for (l = from; l &lt; to; l += by) body</c> over an existing I32 local.</summary>
    public void For(IrLocal l, IrExpr from, IrExpr to, int by, Action body)
    {
        Assign(l, from);
        Loop(X.Lt(X.Ref(l), to), body, () => Assign(l, X.Add(X.Ref(l), X.I32(by))));
    }

    public IrLocal Shuffle(IrShuffleKind kind, IrExpr value, IrExpr lane)
    {
        IrLocal target = Local("shfl", value.Type);
        Add(new IrShuffle(kind, target, value, lane));
        return target;
    }

    /// <summary>The statements <paramref name="fill"/> appends, as a block of their own.</summary>
    public IrBlock Block(Action fill)
    {
        _blocks.Push([]);
        fill();
        return new IrBlock(_blocks.Pop());
    }

    /// <summary>The kernel: its body is <paramref name="body"/> when given, otherwise the statements appended so far.</summary>
    public IrKernel Build(string entryPoint, params IrStmt[] body)
    {
        if (_blocks.Count != 1) throw new InvalidOperationException("A block is still open.");
        if (body.Length > 0 && _blocks.Peek().Count > 0) throw new InvalidOperationException("Statements were both appended and passed to Build.");
        return new IrKernel(entryPoint, _parameters, _locals, _shared, _usesDynamicShared, new IrBlock(body.Length > 0 ? body : _blocks.Peek()),
            _launchBounds);
    }
}
