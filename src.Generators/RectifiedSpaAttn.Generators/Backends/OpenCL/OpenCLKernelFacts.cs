using System.Collections.Generic;
using System.Linq;
using RectifiedSpaAttn.Generators.Ir;

namespace RectifiedSpaAttn.Generators.Backends.OpenCL;

/// <summary>What a kernel uses that changes the program around it (pragmas, helpers, scratch) or keeps it off OpenCL.</summary>
internal sealed class OpenCLKernelFacts
{
    /// <summary>NVIDIA's documented local memory per group; the program must fit it with the warp scratch.</summary>
    public const int LocalMemoryLimitBytes = 48 * 1024;

    public bool UsesF64 { get; private set; }
    public bool UsesWarpCollectives { get; private set; }
    public bool UsesFloatAtomics { get; private set; }
    public List<string> Problems { get; } = new();

    public int LocalBytes(IrKernel kernel) => kernel.StaticSharedBytes + (UsesWarpCollectives ? OpenCLPrelude.ExchangeBytes : 0);

    public static OpenCLKernelFacts Of(IrKernel kernel)
    {
        var facts = new OpenCLKernelFacts();
        facts.UsesF64 = kernel.Parameters.Any(p => p.Type == IrType.F64) || kernel.Locals.Any(l => l.Type == IrType.F64)
            || kernel.SharedAllocations.Any(a => a.Type == IrType.F64);
        foreach (IrStmt s in IrWalker.Statements(kernel.Body))
        {
            facts.Inspect(s);
            foreach (IrExpr root in IrWalker.DirectExpressions(s))
                foreach (IrExpr e in IrWalker.Expressions(root))
                {
                    if (e.Type == IrType.F64) facts.UsesF64 = true;
                    if (e is IrLoad { View.ElementType: IrType.F64 } or IrViewLength { View.ElementType: IrType.F64 }) facts.UsesF64 = true;
                    if (e is IrMath { Op: IrMathOp.Exp2Fast or IrMathOp.RcpFast } m && m.Type != IrType.F32)
                        facts.Problems.Add($"{m.Op} is defined on F32 only, got {m.Type}");
                }
        }

        int local = facts.LocalBytes(kernel);
        if (local > LocalMemoryLimitBytes)
            facts.Problems.Add(
                $"it needs {local} bytes of local memory ({kernel.StaticSharedBytes} static shared" +
                (facts.UsesWarpCollectives ? $" + {OpenCLPrelude.ExchangeBytes} of warp-emulation scratch" : "") +
                $"), over the {LocalMemoryLimitBytes} bytes NVIDIA's OpenCL allows per group");
        // Each emulated mma is a block of staged exchanges and group barriers written out at its site; a fully
        // unrolled tensor-core kernel has hundreds of sites, and OpenCL compilers (pocl's LLVM) then take minutes.
        int mmaSites = IrWalker.Statements(kernel.Body).Count(st => st is IrMma);
        if (mmaSites > MaxEmulatedMmaSites)
            facts.Problems.Add($"it has {mmaSites} mma sites; emulating more than {MaxEmulatedMmaSites} through local memory makes a program OpenCL compilers build too slowly to be useful");
        return facts;
    }

    /// <summary>Most mma sites an OpenCL program emulates (a 16 x 64 warp tile over two k steps is 16).</summary>
    public const int MaxEmulatedMmaSites = 32;

    private void Inspect(IrStmt s)
    {
        switch (s)
        {
            case IrShuffle sh:
                UsesWarpCollectives = true;
                if (sh.Value.Type is not (IrType.I32 or IrType.U32 or IrType.F32))
                    Problems.Add($"a warp shuffle of {sh.Value.Type} (only I32, U32 and F32 are emulated)");
                break;
            case IrMma or IrLoadMatrix:
                UsesWarpCollectives = true;
                if (s is IrLoadMatrix lm && (lm.View.Space != IrAddressSpace.Shared || IrTypes.SizeOf(lm.View.ElementType) != 2))
                    Problems.Add("ldmatrix needs a shared view of 16-bit elements");
                break;
            case IrNamedBarrier:
                Problems.Add("named barriers (NamedBarrier.Sync/Arrive) have no OpenCL C equivalent");
                break;
            case IrAtomic a:
                IrType t = a.View.ElementType;
                bool ok = a.Op switch
                {
                    IrAtomicOp.Add => t is IrType.I32 or IrType.U32 or IrType.F32,
                    IrAtomicOp.Max => t is IrType.I32 or IrType.U32,
                    _ => t is IrType.I32 or IrType.U32,
                };
                if (!ok) Problems.Add($"atomic {a.Op} on {t} (OpenCL 1.2 has 32-bit integer atomics, plus our float add)");
                if (a.Op == IrAtomicOp.Add && t == IrType.F32) UsesFloatAtomics = true;
                break;
        }
    }

}
