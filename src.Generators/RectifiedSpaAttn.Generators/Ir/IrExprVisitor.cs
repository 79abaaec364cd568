namespace RectifiedSpaAttn.Generators.Ir;

/// <summary>
/// One method per expression kind: a backend's expression writer derives from this, so an expression kind it does
/// not handle is a build error of the generator (CS0534), not a <c>NotSupportedException</c> the first time a kernel
/// uses the expression. A new <see cref="IrExpr"/> class adds its method here and overrides <c>Accept</c>.
/// </summary>
internal abstract class IrExprVisitor<TResult>
{
    public TResult Visit(IrExpr e) => e.Accept(this);

    internal abstract TResult VisitConst(IrConst e);
    internal abstract TResult VisitLocalRef(IrLocalRef e);
    internal abstract TResult VisitParamRef(IrParamRef e);
    internal abstract TResult VisitSpecial(IrSpecial e);
    internal abstract TResult VisitUnary(IrUnary e);
    internal abstract TResult VisitBinary(IrBinary e);
    internal abstract TResult VisitCompare(IrCompare e);
    internal abstract TResult VisitConditional(IrConditional e);
    internal abstract TResult VisitConvert(IrConvert e);
    internal abstract TResult VisitBitcast(IrBitcast e);
    internal abstract TResult VisitLoad(IrLoad e);
    internal abstract TResult VisitViewLength(IrViewLength e);
    internal abstract TResult VisitMath(IrMath e);
    internal abstract TResult VisitBufferLength(IrBufferLength e);
}
