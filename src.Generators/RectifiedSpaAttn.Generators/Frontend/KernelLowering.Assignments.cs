using System.Collections.Generic;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;
using RectifiedSpaAttn.Generators.Diagnostics;
using RectifiedSpaAttn.Generators.Ir;

namespace RectifiedSpaAttn.Generators.Frontend;

internal sealed partial class KernelLowering
{
    /// <summary>Something assignable: a variable (or a field of one), a view element, a register-array element.</summary>
    private abstract class Target
    {
        public abstract Value Read();
        public abstract void Write(Value value);
    }

    private sealed class StorageTarget : Target
    {
        private readonly KernelLowering _owner;
        private readonly Storage _storage;
        private readonly Location? _where;
        public StorageTarget(KernelLowering owner, Storage storage, Location? where) { _owner = owner; _storage = storage; _where = where; }
        public Storage Storage => _storage;
        public override Value Read() => KernelLowering.Read(_storage);
        public override void Write(Value value) => _owner.Write(_storage, value, _where);
    }

    private sealed class ViewElementTarget : Target
    {
        private readonly KernelLowering _owner;
        private readonly IrView _view;
        private readonly IrExpr _index;
        public ViewElementTarget(KernelLowering owner, IrView view, IrExpr index) { _owner = owner; _view = view; _index = index; }
        public IrView View => _view;
        public IrExpr Index => _index;
        public override Value Read() => Load(_view, _index);
        public override void Write(Value value) => _owner.Store(_view, _index, AsScalar(value, null));
    }

    /// <param name="target">The assigned expression.</param>
    /// <param name="evaluatedBeforeWrite">
    /// What C# evaluates between the target and the write (an assignment's right-hand side), or null when unknown. A
    /// view element's index is copied to a register so that this cannot change it, unless it has no side effects.
    /// </param>
    /// <param name="readToo">Whether the element is also read (compound assignment): a computed index is then kept in a
    /// register rather than computed twice.</param>
    private Target LowerTarget(IOperation target, IOperation? evaluatedBeforeWrite = null, bool readToo = false)
    {
        Location? where = Where(target);
        switch (target)
        {
            case ILocalReferenceOperation l: return new StorageTarget(this, Lookup(l.Local, where), where);
            case IParameterReferenceOperation p: return new StorageTarget(this, Lookup(p.Parameter, where), where);
            case IPropertyReferenceOperation { Property.IsIndexer: true } p when TypeMapper.IsArrayView(Substitute(p.Instance!.Type!)):
            {
                Value[] parts = LowerInOrder(p.Instance, p.Arguments[0].Value);
                // The element is written (and for compound assignments read) by one store after the right-hand side,
                // so only that could change the index: it is copied to a register when the right-hand side has side
                // effects or is unknown, and when a compound assignment would otherwise compute it twice.
                bool stable = evaluatedBeforeWrite is not null && !HasSideEffects(evaluatedBeforeWrite)
                    && (!readToo || parts[1] is ScalarValue { Expr: IrLocalRef or IrConst or IrParamRef });
                IrExpr index = AsScalar(stable ? parts[1] : Stabilize(parts[1]), where);
                return new ViewElementTarget(this, AsView(parts[0], where), index);
            }
            case IPropertyReferenceOperation { Property.IsIndexer: true } p when TypeMapper.IsSpan(Substitute(p.Instance!.Type!)):
            {
                RegisterArray array = AsArray(LowerExpression(p.Instance), where);
                return new StorageTarget(this, new ScalarStorage(Element(array, p.Arguments[0].Value)), where);
            }
            case IPropertyReferenceOperation { Property.IsIndexer: false, Instance: { } instance } p
                when LowerTarget(instance) is StorageTarget { Storage: StructStorage s }:
                return new StorageTarget(this, s.Field(p.Property.Name), where);
            case IFieldReferenceOperation { Instance: { } instance } f when LowerTarget(instance) is StorageTarget { Storage: StructStorage s }:
                return new StorageTarget(this, s.Field(f.Field.ContainingType.IsTupleType ? TypeMapper.TupleFieldName(f.Field) : f.Field.Name), where);
            default:
                throw new KernelCompileException(KernelDiagnostics.UnsupportedConstruct, where, $"Assigning to '{Short(target)}'",
                    "kernels assign locals, struct fields of locals, view elements and register-array elements");
        }
    }

    private Value LowerAssignment(ISimpleAssignmentOperation a)
    {
        if (a.IsRef)
            throw new KernelCompileException(KernelDiagnostics.UnsupportedConstruct, Where(a), "A ref assignment", "assign values, not references");
        Target target = LowerTarget(a.Target, a.Value);
        Value value = LowerExpression(a.Value);
        if (a.Parent is not IExpressionStatementOperation) value = Stabilize(value);
        target.Write(value);
        return value;
    }

    private Value LowerCompoundAssignment(ICompoundAssignmentOperation a)
    {
        Location? where = Where(a);
        if (a.OperatorMethod is { } m)
            throw new KernelCompileException(KernelDiagnostics.UnsupportedConstruct, where, $"The user-defined operator '{m.ToDisplayString()}'", "convert to float first");
        Target target = LowerTarget(a.Target, a.Value, readToo: true);
        IrExpr current = AsScalar(target.Read(), where);
        IrExpr operand = AsScalar(LowerExpression(a.Value), where);
        bool shift = a.OperatorKind is BinaryOperatorKind.LeftShift or BinaryOperatorKind.RightShift or BinaryOperatorKind.UnsignedRightShift;
        // C# computes in the operator's type (at least int) and converts back to the target's type.
        IrType opType = shift ? Promote(current.Type) : Promote(Wider(current.Type, operand.Type));
        IrExpr result = Arithmetic(a.OperatorKind, IrFactory.Convert(opType, current), shift ? operand : IrFactory.Convert(opType, operand), where);
        var value = new ScalarValue(IrFactory.Convert(current.Type, result));
        Value written = a.Parent is IExpressionStatementOperation ? value : Stabilize(value);
        target.Write(written);
        return written;
    }

    private static IrType Promote(IrType t) => t is IrType.U8 or IrType.U16 or IrType.Bool ? IrType.I32 : t;

    private static IrType Wider(IrType a, IrType b) =>
        IrTypes.IsFloat(a) || IrTypes.IsFloat(b) ? (a == IrType.F64 || b == IrType.F64 ? IrType.F64 : IrType.F32)
        : IrTypes.SizeOf(a) >= IrTypes.SizeOf(b) ? a : b;

    private Value LowerIncrement(IIncrementOrDecrementOperation i)
    {
        Location? where = Where(i);
        Target target = LowerTarget(i.Target);
        Value old = Stabilize(target.Read());
        IrExpr current = AsScalar(old, where);
        IrExpr one = IrTypes.IsFloat(current.Type) ? IrConst.Real(current.Type, 1) : IrFactory.Wrap(current.Type, 1);
        var updated = new ScalarValue(IrFactory.Binary(i.Kind == OperationKind.Increment ? IrBinaryOp.Add : IrBinaryOp.Sub, current, one));
        bool statement = i.Parent is IExpressionStatementOperation or IForLoopOperation;
        Value written = statement ? updated : Stabilize(updated);
        target.Write(written);
        return i.IsPostfix ? old : written;
    }

    private Value LowerDeconstruction(IDeconstructionAssignmentOperation d)
    {
        Location? where = Where(d);
        if (LowerExpression(d.Value) is not StructValue value)
            throw new KernelCompileException(KernelDiagnostics.UnsupportedConstruct, where, "This deconstruction", "deconstruct tuples");
        value = (StructValue)Stabilize(value);
        IOperation targets = d.Target is IDeclarationExpressionOperation decl ? decl.Expression : d.Target;
        if (targets is not ITupleOperation tuple)
            throw new KernelCompileException(KernelDiagnostics.UnsupportedConstruct, where, "This deconstruction", "deconstruct into a tuple of variables");
        for (int k = 0; k < tuple.Elements.Length; k++)
        {
            Value element = value.Fields[k].Value;
            IOperation t = tuple.Elements[k] is IDeclarationExpressionOperation inner ? inner.Expression : tuple.Elements[k];
            if (t is ILocalReferenceOperation { IsDeclaration: true } declared)
                Bind(declared.Local, NewStorage(declared.Local.Name, declared.Local.Type, element, where));
            else if (t is IDiscardOperation)
                continue;
            else
                LowerTarget(t).Write(element);
        }
        return value;
    }
}
