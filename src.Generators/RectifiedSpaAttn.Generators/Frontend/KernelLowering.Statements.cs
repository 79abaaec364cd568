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
    private void LowerMethodBody(IOperation body)
    {
        switch (body)
        {
            case IMethodBodyOperation { BlockBody: { } block }: LowerSequence(block.Operations, 0, null); break;
            case IMethodBodyOperation { ExpressionBody: { } expr }: LowerSequence(expr.Operations, 0, null); break;
            case IBlockOperation block: LowerSequence(block.Operations, 0, null); break;
            default: LowerStatement(body); break;
        }
    }

    /// <summary>
    /// Lowers statements[start..] then <paramref name="tail"/>. In an inlined helper, an <c>if</c> one of whose
    /// branches always returns takes the rest of the list into its other branch, so early returns need no jumps.
    /// A statement that cannot be lowered records its error and lowering goes on with the next one.
    /// </summary>
    private void LowerSequence(IReadOnlyList<IOperation> statements, int start, System.Action? tail)
    {
        for (int k = start; k < statements.Count; k++)
        {
            Frame frame = Current;
            int blocks = _blocks.Count, loops = frame.LoopDepth;
            try
            {
                if (LowerInSequence(statements, k, tail)) return;
            }
            catch (System.Exception e) when (e is KernelCompileException or PoisonedSymbolException)
            {
                // An error in a statement that uses a local whose declaration failed is most likely a consequence.
                if (e is KernelCompileException error && !UsesPoisoned(statements[k])) _errors.Add(error);
                // Undo what the failed statement left half done: statement lists it opened, loops it entered.
                while (_blocks.Count > blocks) _blocks.Pop();
                frame.LoopDepth = loops;
            }
        }
        tail?.Invoke();
    }

    private bool UsesPoisoned(IOperation statement) => _poisoned.Count > 0 && statement.DescendantsAndSelf().Any(op => op switch
    {
        ILocalReferenceOperation l => _poisoned.Contains(l.Local),
        IParameterReferenceOperation p => _poisoned.Contains(p.Parameter),
        _ => false,
    });

    /// <summary>Lowers statements[k]; true when that also lowered the rest of the list and the tail.</summary>
    private bool LowerInSequence(IReadOnlyList<IOperation> statements, int k, System.Action? tail)
    {
        IOperation s = statements[k];
        bool last = k == statements.Count - 1;
        if (Current.IsInline && !last && ContainsReturn(s))
        {
            int next = k + 1;
            System.Action rest = () => LowerSequence(statements, next, tail);
            switch (s)
            {
                case IConditionalOperation c:
                    LowerIf(c, rest);
                    return true;
                case IBlockOperation b:
                    LowerSequence(b.Operations, 0, rest);
                    return true;
                case IReturnOperation:
                    LowerStatement(s);
                    return true; // what follows a return is unreachable
                default:
                    throw new KernelCompileException(KernelDiagnostics.UnsupportedConstruct, Where(s), "A return inside this statement of an inlined helper",
                        "return from helpers only at the end, or from if/else branches");
            }
        }
        LowerStatement(s);
        return false;
    }

    private static bool ContainsReturn(IOperation op) => op is IReturnOperation || op.Descendants().Any(d => d is IReturnOperation);

    private static bool AlwaysReturns(IOperation? op) => op switch
    {
        IReturnOperation => true,
        IBlockOperation b => b.Operations.Any(AlwaysReturns),
        IConditionalOperation c => AlwaysReturns(c.WhenTrue) && AlwaysReturns(c.WhenFalse),
        _ => false,
    };

    private void LowerStatement(IOperation op)
    {
        switch (op)
        {
            case IBlockOperation b:
                LowerSequence(b.Operations, 0, null);
                break;
            case IVariableDeclarationGroupOperation g:
                foreach (IVariableDeclarationOperation d in g.Declarations)
                    foreach (IVariableDeclaratorOperation v in d.Declarators) LowerDeclarator(v);
                break;
            case IExpressionStatementOperation e:
                LowerEffect(e.Operation);
                break;
            case IConditionalOperation c:
                LowerIf(c, null);
                break;
            case IForLoopOperation f:
                LowerFor(f);
                break;
            case IWhileLoopOperation w:
                LowerWhile(w);
                break;
            case IBranchOperation { BranchKind: BranchKind.Break }:
                Emit(IrBreak.Instance);
                break;
            case IBranchOperation { BranchKind: BranchKind.Continue }:
                Emit(IrContinue.Instance);
                break;
            case IReturnOperation r:
                LowerReturn(r);
                break;
            case IEmptyOperation:
                break;
            case IThrowOperation or ITryOperation:
                throw new KernelCompileException(KernelDiagnostics.Exception, Where(op), op.Syntax.ToString());
            case ILocalFunctionOperation:
                throw new KernelCompileException(KernelDiagnostics.UnsupportedConstruct, Where(op), "A local function", "declare helpers as static methods of a class");
            case IForEachLoopOperation:
                throw new KernelCompileException(KernelDiagnostics.UnsupportedConstruct, Where(op), "foreach", "use a for loop over indices");
            case ISwitchOperation:
                throw new KernelCompileException(KernelDiagnostics.UnsupportedConstruct, Where(op), "A switch statement", "use if/else");
            case IBranchOperation or ILabeledOperation:
                throw new KernelCompileException(KernelDiagnostics.UnsupportedConstruct, Where(op), "goto", "use structured loops with break and continue");
            default:
                throw new KernelCompileException(KernelDiagnostics.UnsupportedConstruct, Where(op), $"The statement '{Short(op)}'", "kernels use declarations, assignments, calls, if, for, while, break, continue and return");
        }
    }

    private static string Short(IOperation op)
    {
        string text = op.Syntax.ToString();
        return text.Length > 60 ? text.Substring(0, 57) + "..." : text;
    }

    private void LowerDeclarator(IVariableDeclaratorOperation declarator)
    {
        try
        {
            LowerDeclaratorOrThrow(declarator);
        }
        catch
        {
            // Later uses of the local would only repeat this error.
            _poisoned.Add(declarator.Symbol);
            throw;
        }
    }

    private void LowerDeclaratorOrThrow(IVariableDeclaratorOperation declarator)
    {
        ILocalSymbol local = declarator.Symbol;
        Location? where = Where(declarator);
        if (local.RefKind != RefKind.None)
            throw new KernelCompileException(KernelDiagnostics.UnsupportedConstruct, where, "A ref local", "use a plain local, or index the view again");
        IOperation? init = declarator.Initializer?.Value ?? declarator.GetVariableInitializer()?.Value;

        if (init is not null && TryRegisterArray(local, init, where) is { } array)
        {
            Bind(local, new FixedStorage(new ArrayValue(array)));
            return;
        }
        if (init is null)
        {
            Bind(local, NewStorage(local.Name, local.Type, null, where));
            return;
        }
        Value value = LowerExpression(init);
        bool reassigned = Current.Reassigned.Contains(local);
        if (!reassigned && IsFixed(value))
        {
            Bind(local, new FixedStorage(value));
            return;
        }
        Bind(local, NewStorage(local.Name, local.Type, value, where));
    }

    /// <summary>Values that cannot change later: constants, parameters, views of fixed windows, register arrays.</summary>
    private static bool IsFixed(Value value) => value switch
    {
        ScalarValue { Expr: IrConst or IrParamRef } => true,
        ViewValue v => v.View.ByteOffset is IrConst && v.View.Length is IrConst or IrBufferLength,
        ArrayValue => true,
        _ => false,
    };

    /// <summary><c>Span&lt;T&gt; name = stackalloc T[n]</c> with a constant n: a register array, zero-initialised as C# does.</summary>
    private RegisterArray? TryRegisterArray(ILocalSymbol local, IOperation init, Location? where)
    {
        var syntax = init.Syntax as StackAllocArrayCreationExpressionSyntax;
        if (syntax is null && init is IConversionOperation conv) syntax = conv.Operand.Syntax as StackAllocArrayCreationExpressionSyntax;
        if (syntax is null) return null;
        if (syntax.Initializer is not null)
            throw new KernelCompileException(KernelDiagnostics.UnsupportedConstruct, where, "A stackalloc initializer", "assign the elements after declaring the array");
        if (syntax.Type is not ArrayTypeSyntax { RankSpecifiers.Count: 1 } arrayType || arrayType.RankSpecifiers[0].Sizes.Count != 1)
            throw new KernelCompileException(KernelDiagnostics.UnsupportedConstruct, where, "This stackalloc", "write 'stackalloc T[n]'");
        SemanticModel model = _compilation.GetSemanticModel(syntax.SyntaxTree);
        IOperation? sizeOp = model.GetOperation(arrayType.RankSpecifiers[0].Sizes[0]);
        if (sizeOp is null || LowerExpression(sizeOp) is not ScalarValue { Expr: IrConst size })
            throw new KernelCompileException(KernelDiagnostics.UnsupportedConstruct, where, "A register array of non-constant length", "the length must be a constant after specialisation");
        if (size.Bits <= 0 || size.Bits > 1024)
            throw new KernelCompileException(KernelDiagnostics.UnsupportedConstruct, where, $"A register array of {size.Bits} elements", "register arrays hold 1 to 1024 elements");
        ITypeSymbol elementType = TypeMapper.ElementOf(Substitute(local.Type));
        IrType t = RegisterTypeOf(elementType, where);
        var elements = new IrLocal[size.Bits];
        for (int i = 0; i < elements.Length; i++)
        {
            elements[i] = NewLocal(local.Name + i, t);
            Emit(new IrAssign(elements[i], IrTypes.IsFloat(t) ? IrConst.Real(t, 0) : IrFactory.Wrap(t, 0)));
        }
        return new RegisterArray(local.Name, t, elements);
    }

    private void LowerIf(IConditionalOperation c, System.Action? rest)
    {
        IrExpr condition = AsScalar(LowerExpression(c.Condition), Where(c.Condition));
        bool thenReturns = AlwaysReturns(c.WhenTrue), elseReturns = AlwaysReturns(c.WhenFalse);
        if (condition is IrConst k)
        {
            // Specialisation decided the branch: lower only the live side.
            IOperation? live = k.IsTrue ? c.WhenTrue : c.WhenFalse;
            if (live is not null) LowerBranch(live, rest != null && !(k.IsTrue ? thenReturns : elseReturns) ? rest : null);
            else rest?.Invoke();
            return;
        }
        IrBlock then = Capture(() => LowerBranch(c.WhenTrue, rest != null && !thenReturns ? rest : null));
        IrBlock @else = Capture(() =>
        {
            if (c.WhenFalse is not null) LowerBranch(c.WhenFalse, rest != null && !elseReturns ? rest : null);
            else rest?.Invoke();
        });
        Emit(new IrIf(condition, then, @else));
    }

    private void LowerBranch(IOperation op, System.Action? tail)
    {
        if (op is IBlockOperation b) LowerSequence(b.Operations, 0, tail);
        else LowerSequence(new[] { op }, 0, tail);
    }

    private void LowerWhile(IWhileLoopOperation w)
    {
        if (w.Condition is null) throw new KernelCompileException(KernelDiagnostics.UnsupportedConstruct, Where(w), "This loop", "write a condition");
        Current.LoopDepth++;
        if (w.ConditionIsTop)
        {
            EmitLoop(w.Condition, w.ConditionIsUntil, () => LowerStatement(w.Body), IrBlock.Empty);
        }
        else
        {
            // do { body } while (c)  ==  loop { body; if (!c) break; }  (continue is not allowed: it would skip the test)
            if (w.Body.Descendants().Any(d => d is IBranchOperation { BranchKind: BranchKind.Continue } br && OwnedBy(br, w)))
                throw new KernelCompileException(KernelDiagnostics.UnsupportedConstruct, Where(w), "continue in a do-while loop", "use a while or for loop");
            IrBlock body = Capture(() =>
            {
                LowerStatement(w.Body);
                IrExpr cond = AsScalar(LowerExpression(w.Condition), Where(w.Condition));
                if (!w.ConditionIsUntil) cond = IrFactory.Unary(IrUnaryOp.Not, cond);
                Emit(new IrIf(cond, new IrBlock(new IrStmt[] { IrBreak.Instance }), IrBlock.Empty));
            });
            Emit(new IrLoop(null, body, IrBlock.Empty));
        }
        Current.LoopDepth--;
    }

    private static bool OwnedBy(IBranchOperation branch, ILoopOperation loop)
    {
        for (IOperation? p = branch.Parent; p is not null; p = p.Parent)
            if (p is ILoopOperation l) return ReferenceEquals(l, loop);
        return false;
    }

    /// <summary>
    /// Emits a loop testing <paramref name="condition"/> before each iteration. A condition whose lowering emits
    /// statements (an inlined call) is re-evaluated inside the loop.
    /// </summary>
    private void EmitLoop(IOperation condition, bool until, System.Action body, IrBlock step)
    {
        IrExpr? cond = null;
        IrBlock condStatements = Capture(() =>
        {
            cond = AsScalar(LowerExpression(condition), Where(condition));
            if (until) cond = IrFactory.Unary(IrUnaryOp.Not, cond);
        });
        if (cond is IrConst { IsTrue: false }) return;
        IrBlock loopBody = Capture(body);
        if (condStatements.Statements.Count == 0)
        {
            Emit(new IrLoop(cond is IrConst { IsTrue: true } ? null : cond, loopBody, step));
            return;
        }
        var statements = new List<IrStmt>(condStatements.Statements)
        {
            new IrIf(IrFactory.Unary(IrUnaryOp.Not, cond!), new IrBlock(new IrStmt[] { IrBreak.Instance }), IrBlock.Empty),
        };
        statements.AddRange(loopBody.Statements);
        Emit(new IrLoop(null, new IrBlock(statements), step));
    }

    private void LowerFor(IForLoopOperation f)
    {
        foreach (IOperation before in f.Before) LowerStatement(before);
        if (TryUnroll(f)) return;
        Current.LoopDepth++;
        IrBlock step = Capture(() => { foreach (IOperation s in f.AtLoopBottom) LowerStatement(s); });
        if (f.Condition is null)
            Emit(new IrLoop(null, Capture(() => LowerStatement(f.Body)), step));
        else
            EmitLoop(f.Condition, false, () => LowerStatement(f.Body), step);
        Current.LoopDepth--;
    }

    private void LowerReturn(IReturnOperation r)
    {
        Frame frame = Current;
        if (frame.InlineDepth == 0)
        {
            Emit(IrReturn.Instance);
            return;
        }
        if (frame.LoopDepth > 0)
            throw new KernelCompileException(KernelDiagnostics.UnsupportedConstruct, Where(r), "A return inside a loop of an inlined helper",
                "break out of the loop and return after it");
        if (r.ReturnedValue is null) return;
        Value value = LowerExpression(r.ReturnedValue);
        if (frame.Result is null && frame.ResultValue is null && _blocks.Count == frame.BodyDepth)
        {
            // Not in a branch, so the only return that runs: its value is the call's value (folded when constant).
            frame.ResultValue = Stabilize(value, frame.Method.Name);
            return;
        }
        // A return in a branch: the value goes through storage that every branch's return writes.
        if (frame.Result is null) frame.Result = NewStorage(frame.Method.Name, frame.Method.ReturnType, value, Where(r));
        else Write(frame.Result, value, Where(r));
    }
}
