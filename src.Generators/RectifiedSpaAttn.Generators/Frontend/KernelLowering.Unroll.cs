using System.Collections.Generic;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;
using RectifiedSpaAttn.Generators.Diagnostics;
using RectifiedSpaAttn.Generators.Ir;

namespace RectifiedSpaAttn.Generators.Frontend;

internal sealed partial class KernelLowering
{
    /// <summary>Unrolled loops stop here: past it the body is better off as a real loop.</summary>
    private const int MaxUnrolledTrips = 256;

    /// <summary>
    /// Unrolls <c>for (int i = A; i OP B; i += C)</c> when A, B and C are constants after specialisation, the body
    /// never assigns i, and the loop either indexes a register array (which needs constant indices) or starts with
    /// <c>KernelHint.Unroll()</c>. Each copy of the body sees i as a constant, which folds array indices and offsets.
    /// </summary>
    private bool TryUnroll(IForLoopOperation f)
    {
        if (!WantsUnroll(f.Body)) return false;
        if (f.Locals.Length != 1 || f.Before.Length != 1 || f.AtLoopBottom.Length != 1 || f.Condition is null) return false;
        ILocalSymbol counter = f.Locals[0];
        if (f.Body.Descendants().Any(d => Assigns(d, counter))) return false;
        if (f.Body.Descendants().Any(d => d is IBranchOperation { BranchKind: BranchKind.Break or BranchKind.Continue } b && OwnedBy(b, f)))
            throw new KernelCompileException(KernelDiagnostics.UnsupportedConstruct, Where(f), "break or continue in a loop that must be unrolled",
                "unrolled loops run every iteration; guard the body with an if instead");

        // The for-initialiser has already bound the counter to a register; a loop that is not unrolled after all
        // must get that binding back, or the real loop's condition, body and step lose the counter.
        Current.Symbols.TryGetValue(counter, out Storage? declared);
        IrConst? start = ConstantOf(InitialValue(f.Before[0]));
        long? stride = StepOf(f.AtLoopBottom[0], counter);
        if (start is null || stride is null || stride == 0) return false;

        // Simulate the counter with the real condition (any comparison of i with constants folds).
        var trips = new List<IrConst>();
        IrConst current = start;
        IrType type = start.Type;
        while (true)
        {
            IrConst value = current;
            Bind(counter, new FixedStorage(new ScalarValue(value)));
            IrExpr? test = null;
            IrBlock emitted = Capture(() => test = AsScalar(LowerExpression(f.Condition), Where(f.Condition)));
            if (emitted.Statements.Count != 0 || test is not IrConst t) return Restore();
            if (!t.IsTrue) break;
            trips.Add(value);
            if (trips.Count > MaxUnrolledTrips) return Restore();
            current = IrFactory.Wrap(type, value.Bits + stride.Value);
        }

        foreach (IrConst value in trips)
        {
            Bind(counter, new FixedStorage(new ScalarValue(value)));
            LowerStatement(f.Body);
        }
        return true;

        bool Restore()
        {
            if (declared is null) Current.Symbols.Remove(counter);
            else Current.Symbols[counter] = declared;
            return false;
        }
    }

    private static bool WantsUnroll(IOperation body) =>
        body.Descendants().Any(d =>
            d is IInvocationOperation { TargetMethod: { Name: "Unroll", ContainingType: var hint } } && TypeMapper.IsComputeType(hint, "KernelHint")
            || d is ILocalReferenceOperation l && TypeMapper.IsSpan(l.Local.Type)
            || d is IParameterReferenceOperation p && TypeMapper.IsSpan(p.Parameter.Type));

    private static bool Assigns(IOperation op, ILocalSymbol local)
    {
        IOperation? target = op switch
        {
            IAssignmentOperation a => a.Target,
            IIncrementOrDecrementOperation i => i.Target,
            IArgumentOperation { Parameter.RefKind: RefKind.Ref or RefKind.Out } arg => arg.Value,
            _ => null,
        };
        return target is ILocalReferenceOperation l && SymbolEqualityComparer.Default.Equals(l.Local, local);
    }

    private IOperation? InitialValue(IOperation before) =>
        before is IVariableDeclarationGroupOperation { Declarations.Length: 1 } g && g.Declarations[0].Declarators.Length == 1
            ? g.Declarations[0].Declarators[0].Initializer?.Value ?? g.Declarations[0].Initializer?.Value
            : null;

    private IrConst? ConstantOf(IOperation? op)
    {
        if (op is null) return null;
        Value? value = null;
        IrBlock emitted = Capture(() => value = LowerExpression(op));
        return emitted.Statements.Count == 0 && value is ScalarValue { Expr: IrConst c } ? c : null;
    }

    private long? StepOf(IOperation bottom, ILocalSymbol counter)
    {
        IOperation op = bottom is IExpressionStatementOperation e ? e.Operation : bottom;
        switch (op)
        {
            case IIncrementOrDecrementOperation { Target: ILocalReferenceOperation l } i when SymbolEqualityComparer.Default.Equals(l.Local, counter):
                return i.Kind == OperationKind.Increment ? 1 : -1;
            case ICompoundAssignmentOperation { Target: ILocalReferenceOperation l } c when SymbolEqualityComparer.Default.Equals(l.Local, counter):
                IrConst? amount = ConstantOf(c.Value);
                if (amount is null) return null;
                return c.OperatorKind switch
                {
                    BinaryOperatorKind.Add => amount.Bits,
                    BinaryOperatorKind.Subtract => -amount.Bits,
                    _ => null,
                };
            default:
                return null;
        }
    }
}
