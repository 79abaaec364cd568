using System.Collections.Generic;

namespace RectifiedSpaAttn.Generators.Ir;

/// <summary>A statement of the structured kernel IR. Control flow is structured (if, loop, break, continue, return): there is no goto.</summary>
public abstract class IrStmt
{
    internal abstract void Accept(IrStmtVisitor visitor);
    internal abstract TResult Accept<TResult>(IrStmtVisitor<TResult> visitor);
}

/// <summary>A sequence of statements.</summary>
public sealed class IrBlock : IrStmt
{
    internal override void Accept(IrStmtVisitor visitor) => visitor.VisitBlock(this);
    internal override TResult Accept<TResult>(IrStmtVisitor<TResult> visitor) => visitor.VisitBlock(this);
    public IrBlock(IReadOnlyList<IrStmt> statements) => Statements = statements;
    public IReadOnlyList<IrStmt> Statements { get; }
    public static readonly IrBlock Empty = new(new IrStmt[0]);
}

/// <summary><c>Target = Value</c>; the types are equal.</summary>
public sealed class IrAssign : IrStmt
{
    internal override void Accept(IrStmtVisitor visitor) => visitor.VisitAssign(this);
    internal override TResult Accept<TResult>(IrStmtVisitor<TResult> visitor) => visitor.VisitAssign(this);
    public IrAssign(IrLocal target, IrExpr value) { Target = target; Value = value; }
    public IrLocal Target { get; }
    public IrExpr Value { get; }
}

/// <summary>Writes <see cref="Value"/> (of the view's element type) to element <see cref="Index"/> of <see cref="View"/>.</summary>
public sealed class IrStore : IrStmt
{
    internal override void Accept(IrStmtVisitor visitor) => visitor.VisitStore(this);
    internal override TResult Accept<TResult>(IrStmtVisitor<TResult> visitor) => visitor.VisitStore(this);
    public IrStore(IrView view, IrExpr index, IrExpr value) { View = view; Index = index; Value = value; }
    public IrView View { get; }
    public IrExpr Index { get; }
    public IrExpr Value { get; }
}

public sealed class IrIf : IrStmt
{
    internal override void Accept(IrStmtVisitor visitor) => visitor.VisitIf(this);
    internal override TResult Accept<TResult>(IrStmtVisitor<TResult> visitor) => visitor.VisitIf(this);
    public IrIf(IrExpr condition, IrBlock then, IrBlock @else) { Condition = condition; Then = then; Else = @else; }
    public IrExpr Condition { get; }
    public IrBlock Then { get; }
    public IrBlock Else { get; }
}

/// <summary>
/// <c>while (Condition) { Body; Step; }</c> where <see cref="IrContinue"/> in the body jumps to <see cref="Step"/>
/// (a C# <c>for</c> loop's iterator). A null condition loops until a <see cref="IrBreak"/> or <see cref="IrReturn"/>.
/// </summary>
public sealed class IrLoop : IrStmt
{
    internal override void Accept(IrStmtVisitor visitor) => visitor.VisitLoop(this);
    internal override TResult Accept<TResult>(IrStmtVisitor<TResult> visitor) => visitor.VisitLoop(this);
    public IrLoop(IrExpr? condition, IrBlock body, IrBlock step) { Condition = condition; Body = body; Step = step; }
    public IrExpr? Condition { get; }
    public IrBlock Body { get; }
    public IrBlock Step { get; }
}

/// <summary>Leaves the innermost loop.</summary>
public sealed class IrBreak : IrStmt
{
    public static readonly IrBreak Instance = new();
    internal override void Accept(IrStmtVisitor visitor) => visitor.VisitBreak(this);
    internal override TResult Accept<TResult>(IrStmtVisitor<TResult> visitor) => visitor.VisitBreak(this);
}

/// <summary>Jumps to the innermost loop's step.</summary>
public sealed class IrContinue : IrStmt
{
    public static readonly IrContinue Instance = new();
    internal override void Accept(IrStmtVisitor visitor) => visitor.VisitContinue(this);
    internal override TResult Accept<TResult>(IrStmtVisitor<TResult> visitor) => visitor.VisitContinue(this);
}

/// <summary>Ends the thread.</summary>
public sealed class IrReturn : IrStmt
{
    public static readonly IrReturn Instance = new();
    internal override void Accept(IrStmtVisitor visitor) => visitor.VisitReturn(this);
    internal override TResult Accept<TResult>(IrStmtVisitor<TResult> visitor) => visitor.VisitReturn(this);
}

/// <summary>
/// Group barrier (<c>bar.sync 0</c> / <c>barrier(CLK_LOCAL_MEM_FENCE|CLK_GLOBAL_MEM_FENCE)</c>); reached by every
/// thread of the group in group-uniform control flow.
/// </summary>
public sealed class IrBarrier : IrStmt
{
    public static readonly IrBarrier Instance = new();
    internal override void Accept(IrStmtVisitor visitor) => visitor.VisitBarrier(this);
    internal override TResult Accept<TResult>(IrStmtVisitor<TResult> visitor) => visitor.VisitBarrier(this);
}

/// <summary>Warp barrier (<c>bar.warp.sync -1</c>); reached by all 32 lanes.</summary>
public sealed class IrWarpBarrier : IrStmt
{
    public static readonly IrWarpBarrier Instance = new();
    internal override void Accept(IrStmtVisitor visitor) => visitor.VisitWarpBarrier(this);
    internal override TResult Accept<TResult>(IrStmtVisitor<TResult> visitor) => visitor.VisitWarpBarrier(this);
}

public enum IrShuffleKind
{
    /// <summary>From lane <c>Lane &amp; 31</c>.</summary>
    Idx,
    /// <summary>From lane <c>LaneIdx ^ Lane</c>.</summary>
    Xor,
    /// <summary>From lane <c>LaneIdx + Lane</c>, or the own value when that is past 31.</summary>
    Down,
}

/// <summary>
/// A warp shuffle executed by all 32 lanes (warp-uniform control flow): <c>Target</c> receives <see cref="Value"/> as
/// held by the source lane. Types: I32, U32 or F32.
/// </summary>
public sealed class IrShuffle : IrStmt
{
    internal override void Accept(IrStmtVisitor visitor) => visitor.VisitShuffle(this);
    internal override TResult Accept<TResult>(IrStmtVisitor<TResult> visitor) => visitor.VisitShuffle(this);
    public IrShuffle(IrShuffleKind kind, IrLocal target, IrExpr value, IrExpr lane) { Kind = kind; Target = target; Value = value; Lane = lane; }
    public IrShuffleKind Kind { get; }
    public IrLocal Target { get; }
    public IrExpr Value { get; }
    /// <summary>I32: the source lane, xor mask or delta, per <see cref="Kind"/>.</summary>
    public IrExpr Lane { get; }
}

public enum IrMmaKind { BF16, F16 }

/// <summary>
/// <c>mma.sync.aligned.m16n8k16.row.col.f32.{bf16|f16}.{bf16|f16}.f32</c> by all 32 lanes: D = A·B + C with the PTX
/// ISA's fragment layouts. A: 4 U32 (packed pairs), B: 2 U32, C: 4 F32; D: 4 F32 locals.
/// </summary>
public sealed class IrMma : IrStmt
{
    internal override void Accept(IrStmtVisitor visitor) => visitor.VisitMma(this);
    internal override TResult Accept<TResult>(IrStmtVisitor<TResult> visitor) => visitor.VisitMma(this);
    public IrMma(IrMmaKind kind, IReadOnlyList<IrLocal> d, IReadOnlyList<IrExpr> a, IReadOnlyList<IrExpr> b, IReadOnlyList<IrExpr> c)
    { Kind = kind; D = d; A = a; B = b; C = c; }
    public IrMmaKind Kind { get; }
    public IReadOnlyList<IrLocal> D { get; }
    public IReadOnlyList<IrExpr> A { get; }
    public IReadOnlyList<IrExpr> B { get; }
    public IReadOnlyList<IrExpr> C { get; }
}

/// <summary>
/// <c>ldmatrix.sync.aligned.m8n8.x{1|2|4}[.trans].shared.b16</c> by all 32 lanes. Each lane gives
/// <see cref="RowIndex"/>, the element index in <see cref="View"/> (shared, 16-bit elements) of one 8-element row
/// (lanes 0-7 for x1, 0-15 for x2, all for x4); <see cref="Targets"/> (1, 2 or 4 U32) receive the fragments.
/// </summary>
public sealed class IrLoadMatrix : IrStmt
{
    internal override void Accept(IrStmtVisitor visitor) => visitor.VisitLoadMatrix(this);
    internal override TResult Accept<TResult>(IrStmtVisitor<TResult> visitor) => visitor.VisitLoadMatrix(this);
    public IrLoadMatrix(IReadOnlyList<IrLocal> targets, bool transposed, IrView view, IrExpr rowIndex)
    { Targets = targets; Transposed = transposed; View = view; RowIndex = rowIndex; }
    public IReadOnlyList<IrLocal> Targets { get; }
    public bool Transposed { get; }
    public IrView View { get; }
    public IrExpr RowIndex { get; }
}

public enum IrAtomicOp { Add, Max, Exchange, CompareExchange }

/// <summary>
/// Atomic read-modify-write of element <see cref="Index"/> of <see cref="View"/>; <see cref="Target"/> (optional)
/// receives the previous value. Add on I32/U32/F32, Max on I32, Exchange on I32 (stores <see cref="Value"/>),
/// CompareExchange on I32 (stores <see cref="Value"/> when the element equals <see cref="Comparand"/>).
/// </summary>
public sealed class IrAtomic : IrStmt
{
    internal override void Accept(IrStmtVisitor visitor) => visitor.VisitAtomic(this);
    internal override TResult Accept<TResult>(IrStmtVisitor<TResult> visitor) => visitor.VisitAtomic(this);
    public IrAtomic(IrAtomicOp op, IrLocal? target, IrView view, IrExpr index, IrExpr value, IrExpr? comparand)
    { Op = op; Target = target; View = view; Index = index; Value = value; Comparand = comparand; }
    public IrAtomicOp Op { get; }
    public IrLocal? Target { get; }
    public IrView View { get; }
    public IrExpr Index { get; }
    public IrExpr Value { get; }
    public IrExpr? Comparand { get; }
}

/// <summary>16-byte load into four U32 locals from element <see cref="Index"/> of <see cref="View"/> (byte address 16-aligned).</summary>
public sealed class IrVectorLoad : IrStmt
{
    internal override void Accept(IrStmtVisitor visitor) => visitor.VisitVectorLoad(this);
    internal override TResult Accept<TResult>(IrStmtVisitor<TResult> visitor) => visitor.VisitVectorLoad(this);
    public IrVectorLoad(IReadOnlyList<IrLocal> targets, IrView view, IrExpr index) { Targets = targets; View = view; Index = index; }
    public IReadOnlyList<IrLocal> Targets { get; }
    public IrView View { get; }
    public IrExpr Index { get; }
}

/// <summary>16-byte store of four U32 values at element <see cref="Index"/> of <see cref="View"/> (byte address 16-aligned).</summary>
public sealed class IrVectorStore : IrStmt
{
    internal override void Accept(IrStmtVisitor visitor) => visitor.VisitVectorStore(this);
    internal override TResult Accept<TResult>(IrStmtVisitor<TResult> visitor) => visitor.VisitVectorStore(this);
    public IrVectorStore(IrView view, IrExpr index, IReadOnlyList<IrExpr> values) { View = view; Index = index; Values = values; }
    public IrView View { get; }
    public IrExpr Index { get; }
    public IReadOnlyList<IrExpr> Values { get; }
}

/// <summary><c>cp.async.cg.shared.global</c> of 16 bytes: element <see cref="SourceIndex"/> of a global view to element <see cref="DestinationIndex"/> of a shared view (same element type, both 16-byte aligned).</summary>
public sealed class IrAsyncCopy : IrStmt
{
    internal override void Accept(IrStmtVisitor visitor) => visitor.VisitAsyncCopy(this);
    internal override TResult Accept<TResult>(IrStmtVisitor<TResult> visitor) => visitor.VisitAsyncCopy(this);
    public IrAsyncCopy(IrView destination, IrExpr destinationIndex, IrView source, IrExpr sourceIndex)
    { Destination = destination; DestinationIndex = destinationIndex; Source = source; SourceIndex = sourceIndex; }
    public IrView Destination { get; }
    public IrExpr DestinationIndex { get; }
    public IrView Source { get; }
    public IrExpr SourceIndex { get; }
}

/// <summary><c>cp.async.commit_group</c>.</summary>
public sealed class IrAsyncCommit : IrStmt
{
    public static readonly IrAsyncCommit Instance = new();
    internal override void Accept(IrStmtVisitor visitor) => visitor.VisitAsyncCommit(this);
    internal override TResult Accept<TResult>(IrStmtVisitor<TResult> visitor) => visitor.VisitAsyncCommit(this);
}

/// <summary><c>cp.async.wait_group Pending</c> (a constant).</summary>
public sealed class IrAsyncWait : IrStmt
{
    internal override void Accept(IrStmtVisitor visitor) => visitor.VisitAsyncWait(this);
    internal override TResult Accept<TResult>(IrStmtVisitor<TResult> visitor) => visitor.VisitAsyncWait(this);
    public IrAsyncWait(int pending) => Pending = pending;
    public int Pending { get; }
}
