using System.Collections.Generic;

namespace RectifiedSpaAttn.Generators.Ir;

/// <summary>The Hopper (sm_90a) operations; see <see cref="IrHopper"/> for each one's operands.</summary>
public enum IrHopperOp
{
    /// <summary><c>wgmma.fence.sync.aligned</c>.</summary>
    WgmmaFence,
    /// <summary><c>wgmma.commit_group.sync.aligned</c>.</summary>
    WgmmaCommit,
    /// <summary><c>wgmma.wait_group.sync.aligned Immediate</c>.</summary>
    WgmmaWait,
    /// <summary>
    /// <c>wgmma.mma_async</c> m64nNk16, A and B from shared memory: Views [A, B], Args [aIndex, bIndex, accumulate (Bool)],
    /// Targets = Accumulators (N/2 F32, read and written), Immediate bit 0: bf16 (else f16); Immediate &amp; ~1023: 0 for a
    /// K-major B, else B is MN-major with 64-element atoms that many bytes apart.
    /// </summary>
    WgmmaShared,
    /// <summary>As <see cref="WgmmaShared"/> with A from registers: Views [B], Args [bIndex, accumulate, a0, a1, a2, a3 (U32)].</summary>
    WgmmaRegisterA,
    /// <summary><c>mbarrier.init</c>: Views [barriers], Args [index, arrivals].</summary>
    MbarrierInit,
    /// <summary><c>mbarrier.arrive</c>: Views [barriers], Args [index].</summary>
    MbarrierArrive,
    /// <summary><c>mbarrier.arrive.expect_tx</c>: Views [barriers], Args [index, bytes].</summary>
    MbarrierArriveExpectTx,
    /// <summary>A loop around <c>mbarrier.try_wait.parity</c>: Views [barriers], Args [index, parity].</summary>
    MbarrierWait,
    /// <summary><c>cp.async.bulk.tensor.{Immediate}d</c>: Views [destination, barriers], Args [index, barrier, x, y(, z)], TensorMap.</summary>
    TensorLoad,
    /// <summary><c>fence.proxy.async.shared::cta</c>.</summary>
    FenceProxyAsync,
    /// <summary><c>setmaxnreg.inc.sync.aligned.u32 Immediate</c>.</summary>
    IncreaseRegisters,
    /// <summary><c>setmaxnreg.dec.sync.aligned.u32 Immediate</c>.</summary>
    DecreaseRegisters,
    /// <summary><c>elect.sync</c> over the full warp: Targets [result (Bool)].</summary>
    ElectOne,
    /// <summary><c>stmatrix.sync.aligned.m8n8.x4.shared.b16</c>: Views [shared], Args [rowIndex, r0, r1, r2, r3].</summary>
    StoreMatrixX4,
}

/// <summary>
/// One Hopper instruction (see <see cref="IrHopperOp"/> for the operands of each). Only kernels that declare
/// <c>[RequiresHopper]</c> contain these; the PTX backend then targets sm_90a.
/// </summary>
public sealed class IrHopper : IrStmt
{
    internal override void Accept(IrStmtVisitor visitor) => visitor.VisitHopper(this);
    internal override TResult Accept<TResult>(IrStmtVisitor<TResult> visitor) => visitor.VisitHopper(this);
    public IrHopper(IrHopperOp op, IReadOnlyList<IrView> views, IReadOnlyList<IrExpr> args, IReadOnlyList<IrLocal> targets, int immediate = 0, IrParam? tensorMap = null)
    { Op = op; Views = views; Args = args; Targets = targets; Immediate = immediate; TensorMap = tensorMap; }
    public IrHopperOp Op { get; }
    public IReadOnlyList<IrView> Views { get; }
    public IReadOnlyList<IrExpr> Args { get; }
    /// <summary>Locals written (wgmma's accumulators, which it also reads; elect's result).</summary>
    public IReadOnlyList<IrLocal> Targets { get; }
    public int Immediate { get; }
    /// <summary>The tensor map parameter of <see cref="IrHopperOp.TensorLoad"/>.</summary>
    public IrParam? TensorMap { get; }

    /// <summary>The PTX instruction's name, for messages ("needs sm_90a (Hopper): uses ...").</summary>
    public string InstructionName => Op switch
    {
        IrHopperOp.WgmmaFence or IrHopperOp.WgmmaCommit or IrHopperOp.WgmmaWait => "wgmma fences",
        IrHopperOp.WgmmaShared or IrHopperOp.WgmmaRegisterA => "wgmma.mma_async",
        IrHopperOp.MbarrierInit or IrHopperOp.MbarrierArrive or IrHopperOp.MbarrierArriveExpectTx or IrHopperOp.MbarrierWait => "mbarrier",
        IrHopperOp.TensorLoad => "cp.async.bulk.tensor",
        IrHopperOp.FenceProxyAsync => "fence.proxy.async",
        IrHopperOp.IncreaseRegisters or IrHopperOp.DecreaseRegisters => "setmaxnreg",
        IrHopperOp.ElectOne => "elect.sync",
        _ => "stmatrix",
    };

    /// <summary>
    /// Whether the CPU emulation synchronises threads here (a warp exchange or a poll), or reaches the group's shared
    /// state through the warp (the register pool of <c>setmaxnreg</c>, whose increase may poll).
    /// </summary>
    public bool IsSyncPoint => Op is IrHopperOp.WgmmaRegisterA or IrHopperOp.MbarrierWait or IrHopperOp.ElectOne or IrHopperOp.StoreMatrixX4
        or IrHopperOp.IncreaseRegisters or IrHopperOp.DecreaseRegisters;
}
