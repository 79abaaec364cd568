using System.Collections.Generic;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;
using RectifiedSpaAttn.Generators.Diagnostics;
using RectifiedSpaAttn.Generators.Ir;

namespace RectifiedSpaAttn.Generators.Frontend;

internal sealed partial class KernelLowering
{
    /// <summary>Helpers being inlined right now, to report recursion instead of looping forever.</summary>
    private readonly HashSet<IMethodSymbol> _inlining = new(SymbolEqualityComparer.Default);

    /// <summary>Lowers a call: an intrinsic, a .NET math function, or a static helper (inlined). Returns null for void.</summary>
    private Value? LowerInvocation(IInvocationOperation inv)
    {
        IMethodSymbol m = inv.TargetMethod;
        string ns = m.ContainingNamespace?.ToDisplayString() ?? "";
        if (ns == TypeMapper.ComputeNamespace) return LowerIntrinsicCall(inv);
        if (ns == "System" && m.ContainingType.Name is "Math" or "MathF" or "Single" or "Double") return LowerMathCall(inv);
        if (ns == "System" && m.ContainingType.Name == "BitConverter") return LowerBitConverter(inv);
        return Inline(inv);
    }

    private Value? Inline(IInvocationOperation inv)
    {
        IMethodSymbol m = inv.TargetMethod;
        Location? where = Where(inv);
        if (!m.IsStatic || m.IsVirtual || m.IsAbstract || inv.Instance is not null)
            throw new KernelCompileException(KernelDiagnostics.VirtualCall, where, m.ToDisplayString());
        if (m.MethodKind == MethodKind.LocalFunction)
            throw new KernelCompileException(KernelDiagnostics.UnsupportedConstruct, where, "A local function", "declare helpers as static methods of a class");
        IMethodSymbol definition = m.OriginalDefinition;
        if (definition.DeclaringSyntaxReferences.FirstOrDefault()?.GetSyntax() is not BaseMethodDeclarationSyntax declaration
            || declaration.Body is null && declaration.ExpressionBody is null)
            throw new KernelCompileException(KernelDiagnostics.NoSource, where, m.ToDisplayString());
        if (!_inlining.Add(definition))
            throw new KernelCompileException(KernelDiagnostics.Recursion, where, m.ToDisplayString());

        SemanticModel model = _compilation.GetSemanticModel(declaration.SyntaxTree);
        IOperation body = model.GetOperation(declaration)
            ?? throw new KernelCompileException(KernelDiagnostics.NoSource, where, m.ToDisplayString());

        // Arguments are evaluated in the caller, left to right; by-ref arguments alias the caller's variables.
        var bindings = new List<(IParameterSymbol Parameter, Value? Value, Storage? Alias)>();
        foreach (IArgumentOperation arg in inv.Arguments)
        {
            IParameterSymbol parameter = definition.Parameters[arg.Parameter!.Ordinal];
            if (parameter.RefKind is RefKind.Ref or RefKind.Out)
            {
                if (LowerTarget(arg.Value) is not StorageTarget target)
                    throw new KernelCompileException(KernelDiagnostics.UnsupportedConstruct, Where(arg), "Passing a view element by ref to a helper",
                        "pass a local by ref, or pass the view and the index");
                bindings.Add((parameter, null, target.Storage));
            }
            else
            {
                bindings.Add((parameter, Stabilize(LowerExpression(arg.Value)), null));
            }
        }

        var typeArguments = new Dictionary<ITypeParameterSymbol, ITypeSymbol>(SymbolEqualityComparer.Default);
        for (int i = 0; i < definition.TypeParameters.Length; i++)
            typeArguments[definition.TypeParameters[i]] = Substitute(m.TypeArguments[i]);

        var frame = new Frame(definition, typeArguments, AssignmentAnalysis.Reassigned(body)) { InlineDepth = Current.InlineDepth + 1, BodyDepth = _blocks.Count };
        _frames.Push(frame);
        try
        {
            foreach (var (parameter, value, alias) in bindings)
            {
                if (alias is not null) Bind(parameter, alias);
                else if (!frame.Reassigned.Contains(parameter) && IsStable(value!))
                    Bind(parameter, new FixedStorage(value!));
                else Bind(parameter, NewStorage(parameter.Name, parameter.Type, value, where));
            }
            LowerMethodBody(body);
            if (definition.ReturnsVoid) return null;
            if (frame.ResultValue is not null) return frame.ResultValue;
            // No return was lowered: the helper's return statement failed, and that error is already reported.
            return frame.Result is null ? throw new PoisonedSymbolException() : Read(frame.Result);
        }
        finally
        {
            _frames.Pop();
            _inlining.Remove(definition);
        }
    }

    /// <summary>
    /// Whether a stabilised argument can be bound to a helper parameter as it is: constants, parameters and fresh
    /// registers nothing else writes (<see cref="Stabilize"/> made them), views, and structs of such.
    /// </summary>
    private static bool IsStable(Value value) => value switch
    {
        ScalarValue { Expr: IrConst or IrParamRef or IrBufferLength or IrLocalRef } or ViewValue => true,
        StructValue s => s.Fields.All(f => IsStable(f.Value)),
        _ => IsFixed(value),
    };

    private Value LowerMathCall(IInvocationOperation inv)
    {
        Location? where = Where(inv);
        IMethodSymbol m = inv.TargetMethod;
        IrType type = RegisterTypeOf(m.ReturnType, where);
        IrExpr[] args = LowerInOrder(inv.Arguments.Select(a => a.Value).ToArray()).Select(v => IrFactory.Convert(type, AsScalar(v, where))).ToArray();
        IrMathOp? op = m.Name switch
        {
            "Abs" => IrMathOp.Abs, "Sqrt" => IrMathOp.Sqrt, "Exp" => IrMathOp.Exp, "Exp2" => IrMathOp.Exp2,
            "Log" when args.Length == 1 => IrMathOp.Log, "Log2" => IrMathOp.Log2, "Floor" => IrMathOp.Floor, "Ceiling" => IrMathOp.Ceil,
            "Sin" => IrMathOp.Sin, "Cos" => IrMathOp.Cos, "Tanh" => IrMathOp.Tanh, "Min" => IrMathOp.Min, "Max" => IrMathOp.Max,
            "FusedMultiplyAdd" => IrMathOp.Fma, "ReciprocalSqrtEstimate" => IrMathOp.Rsqrt, "ReciprocalEstimate" => IrMathOp.RcpFast,
            _ => null,
        };
        if (op is null)
            throw new KernelCompileException(KernelDiagnostics.UnsupportedConstruct, where, $"'{m.ContainingType.Name}.{m.Name}'",
                "kernels support Abs, Sqrt, Exp, Exp2, Log, Log2, Floor, Ceiling, Sin, Cos, Tanh, Min, Max and FusedMultiplyAdd, plus the XMath intrinsics");
        if (args.All(a => a is IrConst) && op is IrMathOp.Min or IrMathOp.Max && !IrTypes.IsFloat(type))
        {
            long x = ((IrConst)args[0]).Bits, y = ((IrConst)args[1]).Bits;
            return new ScalarValue(IrFactory.Wrap(type, op == IrMathOp.Min ? System.Math.Min(x, y) : System.Math.Max(x, y)));
        }
        return new ScalarValue(new IrMath(op.Value, type, args));
    }

    private Value LowerBitConverter(IInvocationOperation inv)
    {
        Location? where = Where(inv);
        IMethodSymbol m = inv.TargetMethod;
        if (!m.Name.Contains("Bits"))
            throw new KernelCompileException(KernelDiagnostics.UnsupportedConstruct, where, $"'BitConverter.{m.Name}'", "kernels use the *Bits conversions (SingleToUInt32Bits, ...)");
        IrExpr value = AsScalar(LowerExpression(inv.Arguments[0].Value), where);
        return new ScalarValue(new IrBitcast(RegisterTypeOf(m.ReturnType, where), value));
    }
}
