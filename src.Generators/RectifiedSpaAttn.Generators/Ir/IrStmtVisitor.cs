namespace RectifiedSpaAttn.Generators.Ir;

/// <summary>
/// One method per statement kind: a backend derives from this, so a statement kind it does not handle is a build
/// error of the generator (CS0534), not a <c>NotSupportedException</c> the first time a kernel uses the statement.
/// A new <see cref="IrStmt"/> class adds its method here and overrides both <c>Accept</c>s.
/// </summary>
internal abstract class IrStmtVisitor
{
    public void Visit(IrStmt s) => s.Accept(this);

    internal abstract void VisitBlock(IrBlock s);
    internal abstract void VisitAssign(IrAssign s);
    internal abstract void VisitStore(IrStore s);
    internal abstract void VisitIf(IrIf s);
    internal abstract void VisitLoop(IrLoop s);
    internal abstract void VisitBreak(IrBreak s);
    internal abstract void VisitContinue(IrContinue s);
    internal abstract void VisitReturn(IrReturn s);
    internal abstract void VisitBarrier(IrBarrier s);
    internal abstract void VisitWarpBarrier(IrWarpBarrier s);
    internal abstract void VisitShuffle(IrShuffle s);
    internal abstract void VisitMma(IrMma s);
    internal abstract void VisitLoadMatrix(IrLoadMatrix s);
    internal abstract void VisitAtomic(IrAtomic s);
    internal abstract void VisitVectorLoad(IrVectorLoad s);
    internal abstract void VisitVectorStore(IrVectorStore s);
    internal abstract void VisitAsyncCopy(IrAsyncCopy s);
    internal abstract void VisitAsyncCommit(IrAsyncCommit s);
    internal abstract void VisitAsyncWait(IrAsyncWait s);
    internal abstract void VisitHopper(IrHopper s);
    internal abstract void VisitNamedBarrier(IrNamedBarrier s);
}

/// <summary>As <see cref="IrStmtVisitor"/> for a backend whose statements return a result (the CPU backend: whether the end is reachable).</summary>
internal abstract class IrStmtVisitor<TResult>
{
    public TResult Visit(IrStmt s) => s.Accept(this);

    internal abstract TResult VisitBlock(IrBlock s);
    internal abstract TResult VisitAssign(IrAssign s);
    internal abstract TResult VisitStore(IrStore s);
    internal abstract TResult VisitIf(IrIf s);
    internal abstract TResult VisitLoop(IrLoop s);
    internal abstract TResult VisitBreak(IrBreak s);
    internal abstract TResult VisitContinue(IrContinue s);
    internal abstract TResult VisitReturn(IrReturn s);
    internal abstract TResult VisitBarrier(IrBarrier s);
    internal abstract TResult VisitWarpBarrier(IrWarpBarrier s);
    internal abstract TResult VisitShuffle(IrShuffle s);
    internal abstract TResult VisitMma(IrMma s);
    internal abstract TResult VisitLoadMatrix(IrLoadMatrix s);
    internal abstract TResult VisitAtomic(IrAtomic s);
    internal abstract TResult VisitVectorLoad(IrVectorLoad s);
    internal abstract TResult VisitVectorStore(IrVectorStore s);
    internal abstract TResult VisitAsyncCopy(IrAsyncCopy s);
    internal abstract TResult VisitAsyncCommit(IrAsyncCommit s);
    internal abstract TResult VisitAsyncWait(IrAsyncWait s);
    internal abstract TResult VisitHopper(IrHopper s);
    internal abstract TResult VisitNamedBarrier(IrNamedBarrier s);
}
