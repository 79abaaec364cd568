using System.Collections.Generic;

namespace RectifiedSpaAttn.Generators.Ir;

/// <summary>
/// A pure expression of the kernel IR with a scalar <see cref="Type"/>. Expressions have no side effects; the only
/// one that can fault is <see cref="IrLoad"/>, and <see cref="IrConditional"/> evaluates just the chosen side, so
/// C#'s short-circuit operators (lowered to conditionals) keep their meaning.
/// </summary>
public abstract class IrExpr
{
    protected IrExpr(IrType type) => Type = type;

    public IrType Type { get; }

    internal abstract TResult Accept<TResult>(IrExprVisitor<TResult> visitor);
}

/// <summary>A constant. Integers and bools are held in <see cref="Bits"/> (two's complement, bool as 0/1); floats in <see cref="Float"/>.</summary>
public sealed class IrConst : IrExpr
{
    internal override TResult Accept<TResult>(IrExprVisitor<TResult> visitor) => visitor.VisitConst(this);
    private IrConst(IrType type, long bits, double value) : base(type) { Bits = bits; Float = value; }

    public long Bits { get; }
    public double Float { get; }

    public static IrConst Int(IrType type, long value) => new(type, value, value);
    public static IrConst Real(IrType type, double value) => new(type, 0, value);
    public static IrConst Bool(bool value) => new(IrType.Bool, value ? 1 : 0, value ? 1 : 0);

    public bool IsTrue => Type == IrType.Bool && Bits != 0;
}

/// <summary>The current value of a local (a virtual register).</summary>
public sealed class IrLocalRef : IrExpr
{
    internal override TResult Accept<TResult>(IrExprVisitor<TResult> visitor) => visitor.VisitLocalRef(this);
    public IrLocalRef(IrLocal local) : base(local.Type) => Local = local;
    public IrLocal Local { get; }
}

/// <summary>The value of a scalar kernel parameter.</summary>
public sealed class IrParamRef : IrExpr
{
    internal override TResult Accept<TResult>(IrExprVisitor<TResult> visitor) => visitor.VisitParamRef(this);
    public IrParamRef(IrParam param) : base(param.Type) => Param = param;
    public IrParam Param { get; }
}

/// <summary>Hardware indices and sizes; all are <see cref="IrType.I32"/>.</summary>
public enum IrSpecialKind
{
    GridIdxX, GridIdxY, GridIdxZ, GridDimX, GridDimY, GridDimZ,
    GroupIdxX, GroupIdxY, GroupIdxZ, GroupDimX, GroupDimY, GroupDimZ,
    /// <summary><c>GroupIdxX + GroupDimX * (GroupIdxY + GroupDimY * GroupIdxZ)</c>.</summary>
    GroupLinearIdx,
    /// <summary><c>GroupLinearIdx % 32</c>.</summary>
    LaneIdx,
    /// <summary><c>GroupLinearIdx / 32</c>.</summary>
    WarpIdx,
}

public sealed class IrSpecial : IrExpr
{
    internal override TResult Accept<TResult>(IrExprVisitor<TResult> visitor) => visitor.VisitSpecial(this);
    public IrSpecial(IrSpecialKind kind) : base(IrType.I32) => Kind = kind;
    public IrSpecialKind Kind { get; }
}

public enum IrUnaryOp
{
    /// <summary>Arithmetic negation (integers wrap).</summary>
    Neg,
    /// <summary>Logical not of a bool.</summary>
    Not,
    /// <summary>Bitwise complement of an integer.</summary>
    BitNot,
}

public sealed class IrUnary : IrExpr
{
    internal override TResult Accept<TResult>(IrExprVisitor<TResult> visitor) => visitor.VisitUnary(this);
    public IrUnary(IrUnaryOp op, IrExpr operand) : base(operand.Type) { Op = op; Operand = operand; }
    public IrUnaryOp Op { get; }
    public IrExpr Operand { get; }
}

public enum IrBinaryOp
{
    Add, Sub, Mul,
    /// <summary>Integer division truncates toward zero (C#); float division is IEEE round-to-nearest.</summary>
    Div,
    /// <summary>Integer remainder has the sign of the dividend (C#). Not used on floats.</summary>
    Rem,
    /// <summary>Bitwise on integers; non-short-circuit logical on bools.</summary>
    And, Or, Xor,
    /// <summary>Shift counts are masked to the type's width minus one, as in C#. Right shift is arithmetic on signed types.</summary>
    Shl, Shr,
}

/// <summary>A binary arithmetic or bitwise operation; both operands and the result have the same type.</summary>
public sealed class IrBinary : IrExpr
{
    internal override TResult Accept<TResult>(IrExprVisitor<TResult> visitor) => visitor.VisitBinary(this);
    public IrBinary(IrBinaryOp op, IrExpr left, IrExpr right) : base(left.Type) { Op = op; Left = left; Right = right; }
    public IrBinaryOp Op { get; }
    public IrExpr Left { get; }
    public IrExpr Right { get; }
}

public enum IrCompareOp { Eq, Ne, Lt, Le, Gt, Ge }

/// <summary>A comparison of two operands of the same type (unsigned when the type is); the result is <see cref="IrType.Bool"/>. Float comparisons are ordered except <see cref="IrCompareOp.Ne"/> (true for NaN), as in C#.</summary>
public sealed class IrCompare : IrExpr
{
    internal override TResult Accept<TResult>(IrExprVisitor<TResult> visitor) => visitor.VisitCompare(this);
    public IrCompare(IrCompareOp op, IrExpr left, IrExpr right) : base(IrType.Bool) { Op = op; Left = left; Right = right; }
    public IrCompareOp Op { get; }
    public IrExpr Left { get; }
    public IrExpr Right { get; }
}

/// <summary><c>Condition ? WhenTrue : WhenFalse</c>, evaluating only the chosen side.</summary>
public sealed class IrConditional : IrExpr
{
    internal override TResult Accept<TResult>(IrExprVisitor<TResult> visitor) => visitor.VisitConditional(this);
    public IrConditional(IrExpr condition, IrExpr whenTrue, IrExpr whenFalse) : base(whenTrue.Type)
    { Condition = condition; WhenTrue = whenTrue; WhenFalse = whenFalse; }
    public IrExpr Condition { get; }
    public IrExpr WhenTrue { get; }
    public IrExpr WhenFalse { get; }
}

/// <summary>
/// A numeric conversion with C# meaning: integer widening sign- or zero-extends by the source type, narrowing
/// truncates bits, float to integer truncates toward zero, integer to float and float narrowing round to nearest
/// even. F16/BF16 appear only as the source of a conversion to F32 (after a load) or as its target (before a store).
/// Bool converts to/from integers as 0/1.
/// </summary>
public sealed class IrConvert : IrExpr
{
    internal override TResult Accept<TResult>(IrExprVisitor<TResult> visitor) => visitor.VisitConvert(this);
    public IrConvert(IrType target, IrExpr operand) : base(target) => Operand = operand;
    public IrExpr Operand { get; }
}

/// <summary>Reinterprets the bits of a value as another type of the same size (BitConverter.SingleToUInt32Bits and friends).</summary>
public sealed class IrBitcast : IrExpr
{
    internal override TResult Accept<TResult>(IrExprVisitor<TResult> visitor) => visitor.VisitBitcast(this);
    public IrBitcast(IrType target, IrExpr operand) : base(target) => Operand = operand;
    public IrExpr Operand { get; }
}

/// <summary>Reads element <see cref="Index"/> of a view. The result type is the view's element type.</summary>
public sealed class IrLoad : IrExpr
{
    internal override TResult Accept<TResult>(IrExprVisitor<TResult> visitor) => visitor.VisitLoad(this);
    public IrLoad(IrView view, IrExpr index) : base(view.ElementType) { View = view; Index = index; }
    public IrView View { get; }
    /// <summary>An I32 or I64 element index.</summary>
    public IrExpr Index { get; }
}

/// <summary>The length in elements of a view, as I64 (C#'s <c>view.Length</c>).</summary>
public sealed class IrViewLength : IrExpr
{
    internal override TResult Accept<TResult>(IrExprVisitor<TResult> visitor) => visitor.VisitViewLength(this);
    public IrViewLength(IrView view) : base(IrType.I64) => View = view;
    public IrView View { get; }
}

public enum IrMathOp
{
    // One operand, F32 or F64 unless noted.
    Abs, Sqrt, Exp, Exp2, Log, Log2, Floor, Ceil, Sin, Cos, Tanh,
    /// <summary>1/sqrt(x), hardware approximation on GPUs.</summary>
    Rsqrt,
    /// <summary>2^x, hardware approximation (F32 only).</summary>
    Exp2Fast,
    /// <summary>1/x, hardware approximation (F32 only).</summary>
    RcpFast,
    // Two operands; Min/Max/Abs also on integers. Float Min/Max return the other operand when one is NaN (fmin/fmax).
    Min, Max,
    // Three operands.
    /// <summary>a*b+c with one rounding.</summary>
    Fma,
    /// <summary>(F32 lo, F32 hi) -> U32 with two bf16 (round to nearest even), lo in bits 0-15.</summary>
    PackBF16,
    /// <summary>(F32 lo, F32 hi) -> U32 with two fp16 (round to nearest even), lo in bits 0-15.</summary>
    PackF16,
    /// <summary>(U32 packed, Bool const high) -> F32: the bf16 in the low (false) or high (true) half.</summary>
    UnpackBF16,
    /// <summary>(U32 packed, Bool const high) -> F32: the fp16 in the low (false) or high (true) half.</summary>
    UnpackF16,
}

public sealed class IrMath : IrExpr
{
    internal override TResult Accept<TResult>(IrExprVisitor<TResult> visitor) => visitor.VisitMath(this);
    public IrMath(IrMathOp op, IrType type, IReadOnlyList<IrExpr> args) : base(type) { Op = op; Args = args; }
    public IrMathOp Op { get; }
    public IReadOnlyList<IrExpr> Args { get; }
}

/// <summary>The length in elements of a buffer parameter as passed at launch (I64): the root of every global view's length.</summary>
public sealed class IrBufferLength : IrExpr
{
    internal override TResult Accept<TResult>(IrExprVisitor<TResult> visitor) => visitor.VisitBufferLength(this);
    public IrBufferLength(IrParam param) : base(IrType.I64) => Param = param;
    public IrParam Param { get; }
}
