using System;
using System.Collections.Generic;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;
using RectifiedSpaAttn.Generators.Diagnostics;
using RectifiedSpaAttn.Generators.Ir;

namespace RectifiedSpaAttn.Generators.Frontend;

/// <summary>
/// Lowers one specialisation of a <c>[Kernel]</c> method from Roslyn's IOperation tree to an <see cref="IrKernel"/>.
/// Everything that makes the IR small happens here, in one walk: specialisation constants and type arguments are
/// substituted, constant expressions fold as they are built (<see cref="IrFactory"/>), helper calls are inlined,
/// loops with constant bounds that index register arrays (or are marked with <c>KernelHint.Unroll()</c>) are
/// unrolled, and structs, tuples and register arrays become plain scalar registers.
/// Unsupported C# throws <see cref="KernelCompileException"/> with the diagnostic to report.
/// </summary>
internal sealed partial class KernelLowering
{
    private readonly Compilation _compilation;
    private readonly List<IrLocal> _locals = new();
    private readonly List<IrParam> _params = new();
    private readonly List<IrSharedAllocation> _shared = new();
    private int _sharedBytes;
    private bool _usesDynamicShared;
    private IrLaunchBounds? _launchBounds;

    /// <summary>The statement lists being built, innermost last.</summary>
    private readonly Stack<List<IrStmt>> _blocks = new();

    /// <summary>Symbol -> storage, one dictionary per lexical frame (kernel or inlined helper).</summary>
    private readonly Stack<Frame> _frames = new();

    public KernelLowering(Compilation compilation) => _compilation = compilation;

    /// <summary>One method being lowered: the kernel itself or an inlined helper.</summary>
    private sealed class Frame
    {
        public Frame(IMethodSymbol method, Dictionary<ITypeParameterSymbol, ITypeSymbol> typeArguments, HashSet<ISymbol> reassigned)
        { Method = method; TypeArguments = typeArguments; Reassigned = reassigned; }
        public IMethodSymbol Method { get; }
        public Dictionary<ITypeParameterSymbol, ITypeSymbol> TypeArguments { get; }
        public Dictionary<ISymbol, Storage> Symbols { get; } = new(SymbolEqualityComparer.Default);
        /// <summary>Locals and parameters assigned after their declaration (others can be bound once, without registers).</summary>
        public HashSet<ISymbol> Reassigned { get; }
        /// <summary>
        /// Where a helper's return value goes when a return sits in a branch (null until one does, and for the kernel
        /// and void helpers).
        /// </summary>
        public Storage? Result { get; set; }
        /// <summary>
        /// The value of a helper's return lowered straight into the helper's own statement list (the one return that
        /// runs: a return in a branch decided by a constant lowers there too). It is used as it is, so a constant
        /// result folds in the caller, the way constant arguments fold in the helper.
        /// </summary>
        public Value? ResultValue { get; set; }
        /// <summary>How deep the statement lists were when the helper began: a return at this depth is not in a branch.</summary>
        public int BodyDepth { get; set; }
        public bool IsInline => InlineDepth > 0;
        public int InlineDepth { get; set; }
        /// <summary>Loops entered in this frame (a helper's return inside one cannot be restructured).</summary>
        public int LoopDepth { get; set; }
    }

    private Frame Current => _frames.Peek();

    /// <summary>Lowers <paramref name="kernel"/> with the given specialisation.</summary>
    public IrKernel Lower(IMethodSymbol kernel, IOperation body, string entryPoint,
        Dictionary<ITypeParameterSymbol, ITypeSymbol> typeArguments, Dictionary<string, IrConst> constants)
    {
        var frame = new Frame(kernel, typeArguments, AssignmentAnalysis.Reassigned(body));
        _requiresHopper = DeclaresHopper(kernel);
        _frames.Push(frame);
        _blocks.Push(new List<IrStmt>());
        foreach (IParameterSymbol p in kernel.Parameters)
        {
            try
            {
                BindParameter(frame, kernel, p, constants);
            }
            catch (KernelCompileException e)
            {
                _errors.Add(e);
                _poisoned.Add(p);
            }
        }

        LowerMethodBody(body);
        List<IrStmt> statements = _blocks.Pop();
        _frames.Pop();
        var kernelIr = new IrKernel(entryPoint, _params, _locals, _shared, _usesDynamicShared, new IrBlock(statements), _launchBounds, _requiresHopper);
        return _errors.Count == 0 ? CopyFolding.Fold(kernelIr) : kernelIr;
    }

    private void BindParameter(Frame frame, IMethodSymbol kernel, IParameterSymbol p, Dictionary<string, IrConst> constants)
    {
        if (constants.TryGetValue(p.Name, out IrConst? c))
        {
            frame.Symbols[p] = frame.Reassigned.Contains(p) ? CopyToRegister(p.Name, new ScalarValue(c)) : new FixedStorage(new ScalarValue(c));
            return;
        }
        ITypeSymbol type = Substitute(p.Type);
        Location? where = p.Locations.FirstOrDefault();
        if (TryBindTensorMap(p, type, frame)) return;
        switch (TypeMapper.ShapeOf(type))
        {
            case TypeShape.View:
                IrType element = ScalarMemoryType(TypeMapper.ElementOf(type), where);
                var param = new IrParam(_params.Count, p.Name, IrParamKind.Buffer, element);
                _params.Add(param);
                var view = new ViewValue(new IrView(new IrBufferRoot(param), element, IrFactory.Long(0), new IrBufferLength(param)));
                frame.Symbols[p] = frame.Reassigned.Contains(p) ? CopyToRegister(p.Name, view) : new FixedStorage(view);
                break;
            case TypeShape.Scalar:
                IrType t = TypeMapper.MemoryType(type)!.Value;
                var scalar = new IrParam(_params.Count, p.Name, IrParamKind.Scalar, t);
                _params.Add(scalar);
                var value = new ScalarValue(IrFactory.Convert(TypeMapper.Widen(t), new IrParamRef(scalar)));
                frame.Symbols[p] = frame.Reassigned.Contains(p) ? CopyToRegister(p.Name, value) : new FixedStorage(value);
                break;
            case TypeShape.Struct:
                // The launcher is written once for all variants, from the declared type: it must be one fixed struct.
                string? problem = StructParameters.DependsOnTypeParameters(p.Type)
                    ? $"its type '{p.Type.ToDisplayString()}' depends on the kernel's type parameters, and a struct parameter has one fixed type"
                    : null;
                if (problem is null) StructParameters.Leaves(type, out problem);
                if (problem is not null) throw new KernelCompileException(KernelDiagnostics.StructParameter, where, kernel.Name, p.Name, problem);
                StructValue fields = BindStructFields(kernel, type, p.Name);
                frame.Symbols[p] = frame.Reassigned.Contains(p) ? NewStorage(p.Name, type, fields, where) : new FixedStorage(fields);
                break;
            default:
                throw new KernelCompileException(KernelDiagnostics.KernelSignature, where, kernel.Name,
                    $"has parameter '{p.Name}' of type '{type.ToDisplayString()}'; kernel parameters are ArrayView<T> buffers, unmanaged scalars, structs of scalars, or [Constant] specialisation values");
        }
    }

    /// <summary>
    /// A struct parameter as one scalar parameter per field, depth first in the order of
    /// <see cref="TypeMapper.StructFields"/> (the launcher passes them in the same order, from
    /// <see cref="StructParameters.Leaves"/>); named <c>param_Field_Inner</c>, made unique among the kernel's parameters.
    /// </summary>
    private StructValue BindStructFields(IMethodSymbol kernel, ITypeSymbol type, string prefix)
    {
        var fields = new List<KeyValuePair<string, Value>>();
        foreach (KeyValuePair<string, ITypeSymbol> field in TypeMapper.StructFields(type))
        {
            string name = prefix + "_" + field.Key;
            Value value;
            if (TypeMapper.ShapeOf(field.Value) == TypeShape.Struct)
            {
                value = BindStructFields(kernel, field.Value, name);
            }
            else
            {
                while (kernel.Parameters.Any(q => q.Name == name) || _params.Any(q => q.Name == name)) name += "_";
                IrType t = TypeMapper.MemoryType(field.Value)!.Value;
                var scalar = new IrParam(_params.Count, name, IrParamKind.Scalar, t);
                _params.Add(scalar);
                value = new ScalarValue(IrFactory.Convert(TypeMapper.Widen(t), new IrParamRef(scalar)));
            }
            fields.Add(new KeyValuePair<string, Value>(field.Key, value));
        }
        return new StructValue(type, fields);
    }

    // ------------------------------------------------------------------ errors

    /// <summary>
    /// Every error met so far. Lowering goes on after an error at the next statement (see <c>LowerSequence</c>), so a
    /// kernel's independent errors are all reported; the IR of a kernel with errors is not used.
    /// </summary>
    public IReadOnlyList<KernelCompileException> Errors => _errors;

    private readonly List<KernelCompileException> _errors = new();

    /// <summary>Locals and parameters whose declaration failed: a use of one is not another error, only a consequence.</summary>
    private readonly HashSet<ISymbol> _poisoned = new(SymbolEqualityComparer.Default);

    /// <summary>Abandons a statement that uses a poisoned symbol, without reporting anything.</summary>
    private sealed class PoisonedSymbolException : Exception { }

    // ------------------------------------------------------------------ types

    private ITypeSymbol Substitute(ITypeSymbol type)
    {
        if (type is ITypeParameterSymbol tp)
        {
            foreach (Frame f in _frames)
                if (f.TypeArguments.TryGetValue(tp, out ITypeSymbol? concrete)) return concrete;
            return type;
        }
        if (type is INamedTypeSymbol { IsGenericType: true } named && named.TypeArguments.Any(a => a is ITypeParameterSymbol || a is INamedTypeSymbol { IsGenericType: true }))
        {
            ITypeSymbol[] args = named.TypeArguments.Select(Substitute).ToArray();
            return named.ConstructedFrom.Construct(args);
        }
        return type;
    }

    private IrType ScalarMemoryType(ITypeSymbol type, Location? where) =>
        TypeMapper.MemoryType(Substitute(type)) ?? throw new KernelCompileException(
            KernelDiagnostics.UnsupportedConstruct, where, $"A value of type '{Substitute(type).ToDisplayString()}'",
            "kernels compute with bool, byte, ushort, int, uint, long, ulong, float, double, Half and BFloat16");

    private IrType RegisterTypeOf(ITypeSymbol type, Location? where) => TypeMapper.Widen(ScalarMemoryType(type, where));

    // ------------------------------------------------------------------ registers and storage

    private IrLocal NewLocal(string name, IrType type)
    {
        var local = new IrLocal(_locals.Count, Sanitize(name), type);
        _locals.Add(local);
        return local;
    }

    private static string Sanitize(string name)
    {
        var chars = name.Where(ch => char.IsLetterOrDigit(ch) || ch == '_').ToArray();
        string s = new string(chars);
        return s.Length == 0 || char.IsDigit(s[0]) ? "v" + s : s;
    }

    private void Emit(IrStmt statement) => _blocks.Peek().Add(statement);

    /// <summary>Runs <paramref name="lower"/> with a fresh statement list and returns what it emitted.</summary>
    private IrBlock Capture(Action lower)
    {
        _blocks.Push(new List<IrStmt>());
        try { lower(); }
        finally { }
        return new IrBlock(_blocks.Pop());
    }

    /// <summary>A new storage for a value of <paramref name="type"/>, initialised from <paramref name="initial"/> when given.</summary>
    private Storage NewStorage(string name, ITypeSymbol type, Value? initial, Location? where)
    {
        type = Substitute(type);
        switch (TypeMapper.ShapeOf(type))
        {
            case TypeShape.Scalar:
            {
                var s = new ScalarStorage(NewLocal(name, RegisterTypeOf(type, where)));
                if (initial is not null) Write(s, initial, where);
                return s;
            }
            case TypeShape.Struct:
            {
                var fields = TypeMapper.StructFields(type)
                    .Select(f => new KeyValuePair<string, Storage>(f.Key, NewStorage(name + "_" + f.Key, f.Value, null, where)))
                    .ToList();
                var s = new StructStorage(type, fields);
                if (initial is not null) Write(s, initial, where);
                return s;
            }
            case TypeShape.View:
                if (initial is not ViewValue v)
                    throw new KernelCompileException(KernelDiagnostics.UnsupportedConstruct, where, $"The view '{name}' without an initial value",
                        "initialise view variables where they are declared");
                return CopyToRegister(name, v);
            case TypeShape.RegisterArray:
                if (initial is not ArrayValue)
                    throw new KernelCompileException(KernelDiagnostics.UnsupportedConstruct, where, $"The span '{name}'",
                        "a register array is declared as 'Span<T> name = stackalloc T[n]' with a constant n");
                return new FixedStorage(initial);
            default:
                throw new KernelCompileException(KernelDiagnostics.ReferenceType, where, type.ToDisplayString());
        }
    }

    /// <summary>Storage in registers holding <paramref name="value"/> (views keep their root and get offset/length registers).</summary>
    private Storage CopyToRegister(string name, Value value)
    {
        switch (value)
        {
            case ScalarValue s:
            {
                var local = NewLocal(name, s.Expr.Type);
                Emit(new IrAssign(local, s.Expr));
                return new ScalarStorage(local);
            }
            case ViewValue v:
            {
                var offset = NewLocal(name + "_offset", IrType.I64);
                var length = NewLocal(name + "_length", IrType.I64);
                Emit(new IrAssign(offset, v.View.ByteOffset));
                Emit(new IrAssign(length, v.View.Length));
                return new ViewStorage(v.View.Root, v.View.ElementType, offset, length);
            }
            default:
                return new FixedStorage(value);
        }
    }

    /// <summary>The current value held by <paramref name="storage"/>.</summary>
    private static Value Read(Storage storage) => storage switch
    {
        ScalarStorage s => new ScalarValue(new IrLocalRef(s.Local)),
        FixedStorage f => f.Value,
        ViewStorage v => new ViewValue(v.View),
        StructStorage st => new StructValue(st.Type, st.Fields.Select(f => new KeyValuePair<string, Value>(f.Key, Read(f.Value))).ToList()),
        _ => throw new InvalidOperationException("unknown storage"),
    };

    private void Write(Storage storage, Value value, Location? where)
    {
        switch (storage)
        {
            case ScalarStorage s:
                Emit(new IrAssign(s.Local, IrFactory.Convert(s.Local.Type, AsScalar(value, where))));
                break;
            case ViewStorage v:
                if (value is not ViewValue vv || !ReferenceEquals(vv.View.Root, v.Root) && !SameRoot(vv.View.Root, v.Root) || vv.View.ElementType != v.ElementType)
                    throw new KernelCompileException(KernelDiagnostics.UnsupportedConstruct, where, "Assigning a view of a different buffer or element type to a view variable",
                        "a view variable keeps the buffer and element type it was first given; use a second variable");
                // Through temporaries: the new offset may be computed from the old one.
                var offset = NewLocal("offset", IrType.I64);
                var length = NewLocal("length", IrType.I64);
                Emit(new IrAssign(offset, vv.View.ByteOffset));
                Emit(new IrAssign(length, vv.View.Length));
                Emit(new IrAssign(v.ByteOffset, new IrLocalRef(offset)));
                Emit(new IrAssign(v.Length, new IrLocalRef(length)));
                break;
            case StructStorage st:
                if (value is not StructValue sv)
                    throw new KernelCompileException(KernelDiagnostics.UnsupportedConstruct, where, "This struct assignment", "assign a value of the same struct type");
                // Read every field first so that a = (a.Y, a.X) swaps correctly.
                var temporaries = sv.Fields.Select(f => new KeyValuePair<string, Value>(f.Key, Stabilize(f.Value))).ToList();
                foreach (var f in st.Fields) Write(f.Value, temporaries.First(t => t.Key == f.Key).Value, where);
                break;
            case FixedStorage:
                throw new KernelCompileException(KernelDiagnostics.UnsupportedConstruct, where, "Assigning to this variable",
                    "register arrays and loop counters of unrolled loops cannot be reassigned");
        }
    }

    private static bool SameRoot(IrViewRoot a, IrViewRoot b) =>
        a is IrBufferRoot x && b is IrBufferRoot y && ReferenceEquals(x.Param, y.Param);

    /// <summary>
    /// The temporaries <see cref="Stabilize"/> made. Each is written once, where it is made, and only read after
    /// (helper parameters bound to one read it; reassigned variables get storage of their own), so stabilising it again
    /// is itself: arguments passed on from helper to helper are not copied at every level.
    /// </summary>
    private readonly HashSet<IrLocal> _stable = new();

    /// <summary>
    /// A value that keeps meaning what it means now even if locals or memory change later: non-constant scalars
    /// (and struct fields) are copied into fresh registers.
    /// </summary>
    /// <param name="value">The value.</param>
    /// <param name="name">What to call the registers (a helper's result is named after the helper).</param>
    private Value Stabilize(Value value, string name = "t")
    {
        switch (value)
        {
            case ScalarValue { Expr: IrConst or IrParamRef or IrBufferLength }: return value;
            case ScalarValue { Expr: IrLocalRef r } when _stable.Contains(r.Local): return value;
            case ScalarValue s:
                var local = NewLocal(name, s.Expr.Type);
                Emit(new IrAssign(local, s.Expr));
                _stable.Add(local);
                return new ScalarValue(new IrLocalRef(local));
            case StructValue st:
                return new StructValue(st.Type, st.Fields.Select(f => new KeyValuePair<string, Value>(f.Key, Stabilize(f.Value, name + "_" + f.Key))).ToList());
            case ViewValue v when v.View.ByteOffset is not (IrConst or IrLocalRef) || v.View.Length is not (IrConst or IrBufferLength or IrLocalRef):
                var storage = (ViewStorage)CopyToRegister(name == "t" ? "view" : name, v);
                return new ViewValue(storage.View);
            default:
                return value;
        }
    }

    private static IrExpr AsScalar(Value value, Location? where) => value is ScalarValue s ? s.Expr
        : throw new KernelCompileException(KernelDiagnostics.UnsupportedConstruct, where, "This expression", "a scalar value is needed here");

    private static IrView AsView(Value value, Location? where) => value is ViewValue v ? v.View
        : throw new KernelCompileException(KernelDiagnostics.UnsupportedConstruct, where, "This expression", "an ArrayView<T> is needed here");

    private Storage Lookup(ISymbol symbol, Location? where)
    {
        if (Current.Symbols.TryGetValue(symbol, out Storage? s)) return s;
        if (_poisoned.Contains(symbol)) throw new PoisonedSymbolException();
        throw new KernelCompileException(KernelDiagnostics.UnsupportedConstruct, where, $"'{symbol.Name}'",
            "only locals and parameters of the kernel and its inlined helpers can be used (no captured variables or static fields)");
    }

    private void Bind(ISymbol symbol, Storage storage) => Current.Symbols[symbol] = storage;

    private static Location? Where(IOperation op) => op.Syntax.GetLocation();
}
