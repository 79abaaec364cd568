namespace RectifiedSpaAttn.Generators.Ir;

/// <summary>Whether a named barrier operation waits for its phase (<c>bar.sync</c>) or only arrives (<c>bar.arrive</c>).</summary>
public enum IrNamedBarrierKind
{
    /// <summary><c>bar.sync Id, Threads</c>: arrive, then wait until the phase completes.</summary>
    Sync,
    /// <summary><c>bar.arrive Id, Threads</c>: arrive without waiting.</summary>
    Arrive,
}

/// <summary>
/// A hardware barrier of the group other than <see cref="IrBarrier"/>'s barrier 0: the warp arrives at barrier
/// <see cref="Id"/> (1-15, I32) whose phases complete at <see cref="Threads"/> (I32, a multiple of 32) arrived threads,
/// and with <see cref="IrNamedBarrierKind.Sync"/> waits for that. Executed by whole warps (warp-uniform control flow).
/// PTX only among the GPU backends: OpenCL C has no such barriers (<c>OpenCLBackend.UnsupportedReason</c> says so).
/// </summary>
public sealed class IrNamedBarrier : IrStmt
{
    internal override void Accept(IrStmtVisitor visitor) => visitor.VisitNamedBarrier(this);
    internal override TResult Accept<TResult>(IrStmtVisitor<TResult> visitor) => visitor.VisitNamedBarrier(this);
    public IrNamedBarrier(IrNamedBarrierKind kind, IrExpr id, IrExpr threads) { Kind = kind; Id = id; Threads = threads; }
    public IrNamedBarrierKind Kind { get; }
    public IrExpr Id { get; }
    public IrExpr Threads { get; }
}
