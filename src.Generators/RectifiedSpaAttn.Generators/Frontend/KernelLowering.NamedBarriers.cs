using Microsoft.CodeAnalysis;
using RectifiedSpaAttn.Generators.Diagnostics;
using RectifiedSpaAttn.Generators.Ir;

namespace RectifiedSpaAttn.Generators.Frontend;

/// <summary>
/// <c>NamedBarrier.Sync</c> and <c>NamedBarrier.Arrive</c>: one <see cref="IrNamedBarrier"/> each. Constant operands
/// are checked here (RSA0001); run-time ones by the hardware and the CPU emulation.
/// </summary>
internal sealed partial class KernelLowering
{
    private static IrNamedBarrier NamedBarrier(IrNamedBarrierKind kind, IrExpr id, IrExpr threads, Location? where)
    {
        IrExpr id32 = IrFactory.Convert(IrType.I32, id), threads32 = IrFactory.Convert(IrType.I32, threads);
        string call = "NamedBarrier." + kind;
        if (id32 is IrConst c && ((long)c.Bits < 1 || (long)c.Bits > 15))
            throw new KernelCompileException(KernelDiagnostics.UnsupportedConstruct, where, $"{call} on barrier {(int)c.Bits}",
                "name a barrier from 1 to 15 (barrier 0 is Group.Barrier's)");
        if (threads32 is IrConst t && ((int)t.Bits < 32 || (int)t.Bits > 1024 || (int)t.Bits % 32 != 0))
            throw new KernelCompileException(KernelDiagnostics.UnsupportedConstruct, where, $"{call} with a count of {(int)t.Bits} threads",
                "give a multiple of 32 (whole warps arrive) from 32 to 1024");
        return new IrNamedBarrier(kind, id32, threads32);
    }
}
