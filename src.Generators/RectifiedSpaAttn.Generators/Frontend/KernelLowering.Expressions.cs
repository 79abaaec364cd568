using System;
using System.Collections.Generic;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;
using RectifiedSpaAttn.Generators.Diagnostics;
using RectifiedSpaAttn.Generators.Ir;

namespace RectifiedSpaAttn.Generators.Frontend;

internal sealed partial class KernelLowering
{
    /// <summary>Lowers an expression statement: the value, if any, is dropped.</summary>
    private void LowerEffect(IOperation op)
    {
        switch (op)
        {
            case IInvocationOperation inv: LowerInvocation(inv); break;
            default: LowerExpression(op); break;
        }
    }

    private Value LowerExpression(IOperation op)
    {
        Location? where = Where(op);
        if (op.ConstantValue.HasValue && op.Type is { } constType && TypeMapper.MemoryType(Substitute(constType)) is IrType ct)
            return new ScalarValue(Constant(TypeMapper.Widen(ct), op.ConstantValue.Value, where));

        switch (op)
        {
            case ILocalReferenceOperation l: return Read(Lookup(l.Local, where));
            case IParameterReferenceOperation p: return Read(Lookup(p.Parameter, where));
            case IConversionOperation c: return LowerConversion(c);
            case IBinaryOperation b: return LowerBinary(b);
            case IUnaryOperation u: return LowerUnary(u);
            case IConditionalOperation c: return LowerConditionalExpression(c);
            case IInvocationOperation inv:
                return LowerInvocation(inv) ?? throw new KernelCompileException(KernelDiagnostics.UnsupportedConstruct, where, "A void call used as a value", "call it as a statement");
            case IPropertyReferenceOperation p: return LowerPropertyRead(p);
            case IFieldReferenceOperation f: return LowerFieldRead(f);
            case IObjectCreationOperation o: return LowerObjectCreation(o);
            case IDefaultValueOperation d: return Zero(Substitute(d.Type!), where);
            case ITupleOperation t:
                return new StructValue(t.Type!, t.Elements.Select((e, i) => new KeyValuePair<string, Value>("Item" + (i + 1), LowerExpression(e))).ToList());
            case ISimpleAssignmentOperation a: return LowerAssignment(a);
            case ICompoundAssignmentOperation a: return LowerCompoundAssignment(a);
            case IIncrementOrDecrementOperation i: return LowerIncrement(i);
            case IDeconstructionAssignmentOperation d: return LowerDeconstruction(d);
            case ISizeOfOperation s: return new ScalarValue(IrFactory.Int(IrTypes.SizeOf(ScalarMemoryType(s.TypeOperand, where))));
            case IArgumentOperation arg: return LowerExpression(arg.Value);
            case IArrayCreationOperation or IAnonymousObjectCreationOperation or IDelegateCreationOperation or IAnonymousFunctionOperation:
                throw new KernelCompileException(KernelDiagnostics.Allocation, where, Short(op));
            case IThrowOperation:
                throw new KernelCompileException(KernelDiagnostics.Exception, where, Short(op));
            case IInterpolatedStringOperation or ILiteralOperation:
                throw new KernelCompileException(KernelDiagnostics.ReferenceType, where, op.Type?.ToDisplayString() ?? "string");
            default:
                throw new KernelCompileException(KernelDiagnostics.UnsupportedConstruct, where, $"The expression '{Short(op)}'",
                    "kernels use arithmetic, comparisons, conversions, locals, views, register arrays and calls to static helpers or intrinsics");
        }
    }

    private static IrConst Constant(IrType type, object? value, Location? where)
    {
        switch (value)
        {
            case bool b: return IrConst.Bool(b);
            case float f: return IrTypes.IsFloat(type) ? IrConst.Real(type, f) : IrFactory.Wrap(type, (long)f);
            case double d: return IrTypes.IsFloat(type) ? IrConst.Real(type, type == IrType.F32 ? (float)d : d) : IrFactory.Wrap(type, (long)d);
            case ulong u: return IrTypes.IsFloat(type) ? IrConst.Real(type, u) : IrFactory.Wrap(type, unchecked((long)u));
            case char ch: return IrFactory.Wrap(type, ch);
            case null: throw new KernelCompileException(KernelDiagnostics.ReferenceType, where, "null");
            default:
                long bits = Convert.ToInt64(value, System.Globalization.CultureInfo.InvariantCulture);
                return IrTypes.IsFloat(type) ? IrConst.Real(type, bits) : IrFactory.Wrap(type, bits);
        }
    }

    private Value Zero(ITypeSymbol type, Location? where)
    {
        switch (TypeMapper.ShapeOf(type))
        {
            case TypeShape.Scalar:
                IrType t = RegisterTypeOf(type, where);
                return new ScalarValue(IrTypes.IsFloat(t) ? IrConst.Real(t, 0) : IrFactory.Wrap(t, 0));
            case TypeShape.Struct:
                return new StructValue(type, TypeMapper.StructFields(type).Select(f => new KeyValuePair<string, Value>(f.Key, Zero(Substitute(f.Value), where))).ToList());
            default:
                throw new KernelCompileException(KernelDiagnostics.UnsupportedConstruct, where, $"default({type.ToDisplayString()})", "only scalars and structs have a default value in kernels");
        }
    }

    // ------------------------------------------------------------------ operators

    private Value LowerConversion(IConversionOperation c)
    {
        Location? where = Where(c);
        ITypeSymbol target = Substitute(c.Type!);
        if (c.OperatorMethod is { } method && !IsSixteenBitFloatConversion(method))
            throw new KernelCompileException(KernelDiagnostics.UnsupportedConstruct, where, $"The user-defined conversion '{method.ToDisplayString()}'", "kernels convert between primitive numeric types, Half and BFloat16");
        Value operand = LowerExpression(c.Operand);
        if (TypeMapper.ShapeOf(target) != TypeShape.Scalar) return operand;
        IrType memory = ScalarMemoryType(target, where);
        IrExpr value = AsScalar(operand, where);
        if (memory is IrType.BF16 or IrType.F16)
        {
            // Registers hold 16-bit floats widened to F32; narrowing rounds once, to nearest even.
            return new ScalarValue(IrFactory.Convert(IrType.F32, IrFactory.Convert(memory, IrFactory.Convert(IrType.F32, value))));
        }
        return new ScalarValue(IrFactory.Convert(memory, value));
    }

    private static bool IsSixteenBitFloatConversion(IMethodSymbol op) =>
        TypeMapper.MemoryType(op.ContainingType) is IrType.BF16 or IrType.F16;

    private Value LowerBinary(IBinaryOperation b)
    {
        Location? where = Where(b);
        if (b.LeftOperand is ITypeOfOperation lt && b.RightOperand is ITypeOfOperation rt && b.OperatorKind is BinaryOperatorKind.Equals or BinaryOperatorKind.NotEquals)
        {
            bool same = SymbolEqualityComparer.Default.Equals(Substitute(lt.TypeOperand), Substitute(rt.TypeOperand));
            return new ScalarValue(IrConst.Bool(same == (b.OperatorKind == BinaryOperatorKind.Equals)));
        }
        if (b.OperatorMethod is { } method)
            throw new KernelCompileException(KernelDiagnostics.UnsupportedConstruct, where, $"The user-defined operator '{method.ToDisplayString()}'", "convert Half/BFloat16 values to float before computing");
        if (b.IsLifted)
            throw new KernelCompileException(KernelDiagnostics.UnsupportedConstruct, where, "A nullable operator", "kernels have no nullable values");

        if (b.OperatorKind is BinaryOperatorKind.ConditionalAnd or BinaryOperatorKind.ConditionalOr)
            return LowerShortCircuit(b);

        Value[] operands = LowerInOrder(b.LeftOperand, b.RightOperand);
        IrExpr left = AsScalar(operands[0], where), right = AsScalar(operands[1], where);
        switch (b.OperatorKind)
        {
            case BinaryOperatorKind.Equals: return Compare(IrCompareOp.Eq, left, right);
            case BinaryOperatorKind.NotEquals: return Compare(IrCompareOp.Ne, left, right);
            case BinaryOperatorKind.LessThan: return Compare(IrCompareOp.Lt, left, right);
            case BinaryOperatorKind.LessThanOrEqual: return Compare(IrCompareOp.Le, left, right);
            case BinaryOperatorKind.GreaterThan: return Compare(IrCompareOp.Gt, left, right);
            case BinaryOperatorKind.GreaterThanOrEqual: return Compare(IrCompareOp.Ge, left, right);
        }
        return new ScalarValue(Arithmetic(b.OperatorKind, left, right, where));
    }

    private static ScalarValue Compare(IrCompareOp op, IrExpr left, IrExpr right)
    {
        if (left.Type != right.Type) right = IrFactory.Convert(left.Type, right);
        return new ScalarValue(IrFactory.Compare(op, left, right));
    }

    private static IrExpr Arithmetic(BinaryOperatorKind kind, IrExpr left, IrExpr right, Location? where)
    {
        IrBinaryOp op;
        switch (kind)
        {
            case BinaryOperatorKind.Add: op = IrBinaryOp.Add; break;
            case BinaryOperatorKind.Subtract: op = IrBinaryOp.Sub; break;
            case BinaryOperatorKind.Multiply: op = IrBinaryOp.Mul; break;
            case BinaryOperatorKind.Divide: op = IrBinaryOp.Div; break;
            case BinaryOperatorKind.Remainder when IrTypes.IsFloat(left.Type):
                throw new KernelCompileException(KernelDiagnostics.UnsupportedConstruct, where, "Floating-point remainder", "use integer remainder, or x - MathF.Floor(x / y) * y");
            case BinaryOperatorKind.Remainder: op = IrBinaryOp.Rem; break;
            case BinaryOperatorKind.And: op = IrBinaryOp.And; break;
            case BinaryOperatorKind.Or: op = IrBinaryOp.Or; break;
            case BinaryOperatorKind.ExclusiveOr: op = IrBinaryOp.Xor; break;
            case BinaryOperatorKind.LeftShift: return IrFactory.Binary(IrBinaryOp.Shl, left, IrFactory.Convert(left.Type, right));
            case BinaryOperatorKind.RightShift: return IrFactory.Binary(IrBinaryOp.Shr, left, IrFactory.Convert(left.Type, right));
            case BinaryOperatorKind.UnsignedRightShift:
                IrType unsigned = left.Type switch { IrType.I32 => IrType.U32, IrType.I64 => IrType.U64, _ => left.Type };
                IrExpr shifted = IrFactory.Binary(IrBinaryOp.Shr, IrFactory.Convert(unsigned, left), IrFactory.Convert(unsigned, right));
                return IrFactory.Convert(left.Type, shifted);
            default:
                throw new KernelCompileException(KernelDiagnostics.UnsupportedConstruct, where, $"The operator {kind}", "use arithmetic, bitwise and comparison operators");
        }
        if (left.Type != right.Type) right = IrFactory.Convert(left.Type, right);
        return IrFactory.Binary(op, left, right);
    }

    private Value LowerShortCircuit(IBinaryOperation b)
    {
        Location? where = Where(b);
        IrExpr left = AsScalar(LowerExpression(b.LeftOperand), where);
        bool and = b.OperatorKind == BinaryOperatorKind.ConditionalAnd;
        if (left is IrConst k && k.IsTrue != and) return new ScalarValue(k);
        IrExpr? right = null;
        IrBlock rightStatements = Capture(() => right = AsScalar(LowerExpression(b.RightOperand), where));
        if (rightStatements.Statements.Count == 0)
            return new ScalarValue(and ? IrFactory.AndAlso(left, right!) : IrFactory.OrElse(left, right!));
        // The right side emitted statements (an inlined call): run them only when C# would evaluate it.
        var result = NewLocal("cond", IrType.Bool);
        Emit(new IrAssign(result, left));
        var evaluate = new List<IrStmt>(rightStatements.Statements) { new IrAssign(result, right!) };
        IrExpr needRight = and ? new IrLocalRef(result) : IrFactory.Unary(IrUnaryOp.Not, new IrLocalRef(result));
        Emit(new IrIf(needRight, new IrBlock(evaluate), IrBlock.Empty));
        return new ScalarValue(new IrLocalRef(result));
    }

    private Value LowerUnary(IUnaryOperation u)
    {
        Location? where = Where(u);
        if (u.OperatorMethod is { } method)
            throw new KernelCompileException(KernelDiagnostics.UnsupportedConstruct, where, $"The user-defined operator '{method.ToDisplayString()}'", "convert to float first");
        IrExpr operand = AsScalar(LowerExpression(u.Operand), where);
        return new ScalarValue(u.OperatorKind switch
        {
            UnaryOperatorKind.Plus => operand,
            UnaryOperatorKind.Minus => IrFactory.Unary(IrUnaryOp.Neg, operand),
            UnaryOperatorKind.Not => IrFactory.Unary(IrUnaryOp.Not, operand),
            UnaryOperatorKind.BitwiseNegation => IrFactory.Unary(IrUnaryOp.BitNot, operand),
            _ => throw new KernelCompileException(KernelDiagnostics.UnsupportedConstruct, where, $"The operator {u.OperatorKind}", "use -, !, ~"),
        });
    }

    private Value LowerConditionalExpression(IConditionalOperation c)
    {
        Location? where = Where(c);
        IrExpr condition = AsScalar(LowerExpression(c.Condition), where);
        if (condition is IrConst k) return LowerExpression(k.IsTrue ? c.WhenTrue : c.WhenFalse!);
        Value? a = null, b = null;
        IrBlock thenStatements = Capture(() => a = LowerExpression(c.WhenTrue));
        IrBlock elseStatements = Capture(() => b = LowerExpression(c.WhenFalse!));
        if (thenStatements.Statements.Count == 0 && elseStatements.Statements.Count == 0 && a is ScalarValue sa && b is ScalarValue sb)
            return new ScalarValue(IrFactory.Conditional(condition, sa.Expr, IrFactory.Convert(sa.Expr.Type, sb.Expr)));
        if (a is ViewValue || a is ArrayValue)
            throw new KernelCompileException(KernelDiagnostics.UnsupportedConstruct, where, "Choosing between views or arrays with ?:", "use if/else with two variables");
        Storage result = NewStorage("select", c.Type!, null, where);
        IrBlock then = Capture(() => { foreach (IrStmt s in thenStatements.Statements) Emit(s); Write(result, a!, where); });
        IrBlock @else = Capture(() => { foreach (IrStmt s in elseStatements.Statements) Emit(s); Write(result, b!, where); });
        Emit(new IrIf(condition, then, @else));
        return Read(result);
    }

    /// <summary>
    /// Lowers operands left to right. IR expressions read locals and memory when they execute, so an operand is
    /// copied to a register when a later operand has side effects that could change what it reads.
    /// </summary>
    private Value[] LowerInOrder(params IOperation[] operands)
    {
        var values = new Value[operands.Length];
        for (int i = 0; i < operands.Length; i++)
        {
            values[i] = LowerExpression(operands[i]);
            if (operands.Skip(i + 1).Any(HasSideEffects)) values[i] = Stabilize(values[i]);
        }
        return values;
    }

    private static bool HasSideEffects(IOperation op) =>
        Enumerable.Repeat(op, 1).Concat(op.Descendants()).Any(d =>
            d is IAssignmentOperation or IIncrementOrDecrementOperation or IDeconstructionAssignmentOperation
            || d is IInvocationOperation inv && !IsPureCall(inv.TargetMethod));

    private static bool IsPureCall(IMethodSymbol m)
    {
        string type = m.ContainingType?.Name ?? "";
        bool compute = m.ContainingNamespace?.ToDisplayString() == TypeMapper.ComputeNamespace;
        return type is "Math" or "MathF" or "BitConverter" || compute && type is "XMath" or "Packed" or "Element" or "Grid" or "Group" or "ArrayView";
    }

    // ------------------------------------------------------------------ members

    private Value LowerPropertyRead(IPropertyReferenceOperation p)
    {
        Location? where = Where(p);
        IPropertySymbol property = p.Property;
        if (property.IsStatic) return LowerIntrinsicProperty(p);
        ITypeSymbol containing = Substitute(p.Instance!.Type!);
        if (TypeMapper.IsArrayView(containing))
        {
            IrView view = AsView(LowerExpression(p.Instance), where);
            if (property.IsIndexer) return Load(view, AsScalar(LowerExpression(p.Arguments[0].Value), where));
            if (property.Name == "Length") return new ScalarValue(view.Length);
            if (property.Name == "LengthInBytes") return new ScalarValue(IrFactory.Binary(IrBinaryOp.Mul, view.Length, IrFactory.Long(IrTypes.SizeOf(view.ElementType))));
        }
        if (TypeMapper.IsSpan(containing))
        {
            RegisterArray array = AsArray(LowerExpression(p.Instance), where);
            if (property.IsIndexer) return new ScalarValue(new IrLocalRef(Element(array, p.Arguments[0].Value)));
            if (property.Name == "Length") return new ScalarValue(IrFactory.Int(array.Elements.Length));
        }
        if (TypeMapper.ShapeOf(containing) == TypeShape.Struct && !property.IsIndexer && LowerExpression(p.Instance) is StructValue s)
            return s.Field(property.Name);
        throw new KernelCompileException(KernelDiagnostics.UnsupportedConstruct, where, $"The property '{property.ToDisplayString()}'", "kernels read view lengths and elements, span elements and struct fields");
    }

    private Value LowerFieldRead(IFieldReferenceOperation f)
    {
        Location? where = Where(f);
        if (f.Field.IsStatic)
            throw new KernelCompileException(KernelDiagnostics.UnsupportedConstruct, where, $"The static field '{f.Field.Name}'", "make it a const, or pass the data as a parameter");
        if (LowerExpression(f.Instance!) is StructValue s)
            return s.Field(f.Field.ContainingType.IsTupleType ? TypeMapper.TupleFieldName(f.Field) : f.Field.Name);
        throw new KernelCompileException(KernelDiagnostics.UnsupportedConstruct, where, $"The field '{f.Field.Name}'", "kernels read fields of struct values");
    }

    private Value LowerObjectCreation(IObjectCreationOperation o)
    {
        Location? where = Where(o);
        ITypeSymbol type = Substitute(o.Type!);
        if (TypeMapper.ShapeOf(type) == TypeShape.Scalar && o.Arguments.Length == 0) return Zero(type, where);
        if (TypeMapper.ShapeOf(type) != TypeShape.Struct)
            throw new KernelCompileException(type.IsReferenceType ? KernelDiagnostics.Allocation : KernelDiagnostics.UnsupportedConstruct, where, $"new {type.ToDisplayString()}(...)", "create structs of the kernel language (or your own plain structs)");
        if (o.Initializer is not null)
            throw new KernelCompileException(KernelDiagnostics.UnsupportedConstruct, where, "An object initializer", "pass the values to the constructor");
        var fields = TypeMapper.StructFields(type);
        Value[] args = LowerInOrder(o.Arguments.Select(a => a.Value).ToArray());
        var values = new List<KeyValuePair<string, Value>>();
        foreach (var field in fields)
        {
            int index = o.Arguments.Length == 0 ? -1
                : Array.FindIndex(o.Arguments.ToArray(), a => string.Equals(a.Parameter?.Name, field.Key, StringComparison.OrdinalIgnoreCase));
            if (o.Arguments.Length > 0 && index < 0)
                throw new KernelCompileException(KernelDiagnostics.UnsupportedConstruct, where, $"The constructor of '{type.Name}'", "kernels create structs through a positional (record) constructor whose parameters are named like the fields");
            Value v = index < 0 ? Zero(Substitute(field.Value), where) : args[index];
            if (v is ScalarValue sv && TypeMapper.RegisterType(Substitute(field.Value)) is IrType ft) v = new ScalarValue(IrFactory.Convert(ft, sv.Expr));
            values.Add(new KeyValuePair<string, Value>(field.Key, v));
        }
        return new StructValue(type, values);
    }

    // ------------------------------------------------------------------ memory and registers

    private static Value Load(IrView view, IrExpr index)
    {
        IrExpr load = new IrLoad(view, index);
        return new ScalarValue(IrFactory.Convert(TypeMapper.Widen(view.ElementType), load));
    }

    private void Store(IrView view, IrExpr index, IrExpr value) =>
        Emit(new IrStore(view, index, IrFactory.Convert(view.ElementType, IrFactory.Convert(TypeMapper.Widen(view.ElementType), value))));

    private static RegisterArray AsArray(Value value, Location? where) => value is ArrayValue a ? a.Array
        : throw new KernelCompileException(KernelDiagnostics.UnsupportedConstruct, where, "This expression", "a register array (Span<T> from stackalloc) is needed here");

    private IrLocal Element(RegisterArray array, IOperation indexOp)
    {
        Location? where = Where(indexOp);
        if (AsScalar(LowerExpression(indexOp), where) is not IrConst index)
            throw new KernelCompileException(KernelDiagnostics.DynamicRegisterIndex, where, array.Name);
        if (index.Bits < 0 || index.Bits >= array.Elements.Length)
            throw new KernelCompileException(KernelDiagnostics.UnsupportedConstruct, where, $"Index {index.Bits} of the register array '{array.Name}' ({array.Elements.Length} elements)", "the index is out of range");
        return array.Elements[index.Bits];
    }
}
