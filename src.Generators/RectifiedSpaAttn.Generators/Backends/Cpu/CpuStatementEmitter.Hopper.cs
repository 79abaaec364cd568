using System;
using System.Linq;
using RectifiedSpaAttn.Generators.Ir;

namespace RectifiedSpaAttn.Generators.Backends.Cpu;

/// <summary>
/// The Hopper instructions on the CPU: wgmma computed by each thread for its own accumulators (<c>__hopper</c>, a
/// <c>CpuWarpgroup</c>, checks fences and commits), mbarriers in their own shared-memory bytes (<c>CpuMbarrier</c>),
/// waits as poll sites of the scheduler, and the warp-wide elect and stmatrix through the warp exchange.
/// </summary>
internal sealed partial class CpuStatementEmitter
{
    private const string Emulation = "global::RectifiedSpaAttn.Compute.Emulation.";

    private void Hopper(IrHopper h)
    {
        switch (h.Op)
        {
            case IrHopperOp.WgmmaFence: _w.Line("__hopper.Fence();"); break;
            case IrHopperOp.WgmmaCommit: _w.Line("__hopper.Commit();"); break;
            case IrHopperOp.WgmmaWait: _w.Line("__hopper.Wait(" + h.Immediate + ");"); break;
            case IrHopperOp.WgmmaShared: Wgmma(h, "__hopper.MmaShared(linear & 127, " + h.Targets.Count * 2 + ", " + Bool((h.Immediate & 1) == 1) + ", "
                + _x.Condition(h.Args[2]) + ", " + _x.Access(h.Views[0], h.Args[0]) + ", " + _x.Access(h.Views[1], h.Args[1]) + ", " + (h.Immediate & ~1023) + ");"); break;
            case IrHopperOp.WgmmaRegisterA:
                UsesWarpExchange = true;
                _w.Line("__warp.PublishWords(__bank, __lane, " + string.Join(", ", h.Args.Skip(2).Select(_x.Emit)) + ");");
                Yield(true, "wgmma.mma_async (A from registers)");
                Wgmma(h, "__hopper.MmaRegisterA(linear & 127, " + h.Targets.Count * 2 + ", " + Bool((h.Immediate & 1) == 1) + ", "
                    + _x.Condition(h.Args[1]) + ", __warp, __bank, " + _x.Access(h.Views[0], h.Args[0]) + ", " + (h.Immediate & ~1023) + ");");
                _w.Line("__bank ^= 1;");
                break;
            case IrHopperOp.MbarrierInit:
                _w.Line(Emulation + "CpuMbarrier.Init(" + _x.Access(h.Views[0], h.Args[0]) + ", " + _x.Emit(h.Args[1]) + ");");
                break;
            case IrHopperOp.MbarrierArrive:
                _w.Line(Emulation + "CpuMbarrier.Arrive(" + _x.Access(h.Views[0], h.Args[0]) + ", 0);");
                break;
            case IrHopperOp.MbarrierArriveExpectTx:
                _w.Line(Emulation + "CpuMbarrier.Arrive(" + _x.Access(h.Views[0], h.Args[0]) + ", " + _x.Emit(h.Args[1]) + ");");
                break;
            case IrHopperOp.MbarrierWait:
            {
                string test = Emulation + "CpuMbarrier.TestWait(" + _x.Access(h.Views[0], h.Args[0]) + ", " + _x.Emit(h.Args[1]) + ")";
                _w.Open("if (!" + test + ")");
                int site = Yield("Poll", "Mbarrier.Wait");
                _w.Line("while (!" + test + ") yield return " + site + " + " + Emulation + "CpuGroupScheduler.RepollFlag;");
                _w.Close();
                break;
            }
            case IrHopperOp.TensorLoad:
            {
                var c = h.Args.Skip(2).Select(_x.Emit).ToList();
                while (c.Count < 3) c.Add("0");
                _w.Line(Emulation + "CpuWarpgroup.TensorLoad(f.T" + h.TensorMap!.Index + ", " + h.Immediate + ", " + IrTypes.SizeOf(h.Views[0].ElementType) + ", "
                    + string.Join(", ", c) + ", " + _x.Access(h.Views[0], h.Args[0]) + ", " + _x.Access(h.Views[1], h.Args[1]) + ");");
                break;
            }
            case IrHopperOp.FenceProxyAsync: _w.Line("// fence.proxy.async: the CPU has one proxy."); break;
            case IrHopperOp.IncreaseRegisters:
            case IrHopperOp.DecreaseRegisters: SetMaxRegisters(h); break;
            case IrHopperOp.ElectOne:
                Yield(true, "elect.sync");
                if (_declared.Contains(h.Targets[0])) _w.Line(CpuNames.Local(h.Targets[0]) + " = (linear & 31) == 0;");
                break;
            case IrHopperOp.StoreMatrixX4:
                UsesWarpExchange = true;
                _w.Line("__warp.PublishRow(__bank, __lane, " + CpuExpressionEmitter.Root(h.Views[0].Root) + ", " + _x.AsLong(h.Views[0].ByteOffset) + ", "
                    + _x.AsLong(h.Args[0]) + ", " + CpuExpressionEmitter.RootName(h.Views[0].Root) + ");");
                _w.Line("__warp.PublishWords(__bank, __lane, " + string.Join(", ", h.Args.Skip(1).Select(_x.Emit)) + ");");
                Yield(true, "stmatrix.x4");
                _w.Line("__warp.StoreMatrixRow(__bank, __lane);");
                _w.Line("__bank ^= 1;");
                break;
            default: throw new NotSupportedException("The CPU backend does not know the Hopper operation " + h.Op + ".");
        }
    }

    /// <summary>
    /// <c>setmaxnreg</c> on the group's register pool (<c>CpuRegisterPool</c>), from the count ptxas gives every thread at
    /// entry (<see cref="EntryRegisters"/>): a decrease returns registers, an increase polls until the pool can give them,
    /// so budgets beyond what the launch gave are a reported deadlock, as they hang on the GPU. Without launch bounds
    /// ptxas ignores <c>setmaxnreg</c> (C7508), and so does the emulation.
    /// </summary>
    private void SetMaxRegisters(IrHopper h)
    {
        if (_entryRegisters is not { } entry)
        {
            _w.Line("// setmaxnreg " + h.Immediate + ": ignored without launch bounds, as ptxas does.");
            return;
        }
        string arguments = "(linear, " + entry + ", " + h.Immediate + ")";
        if (h.Op == IrHopperOp.DecreaseRegisters)
        {
            _w.Line("__warp.Registers.Decrease" + arguments + ";");
            return;
        }
        string test = "__warp.Registers.TryIncrease" + arguments;
        _w.Open("if (!" + test + ")");
        int site = Yield("Poll", "setmaxnreg.inc " + h.Immediate + " (the group's register pool)");
        _w.Line("while (!" + test + ") yield return " + site + " + " + Emulation + "CpuGroupScheduler.RepollFlag;");
        _w.Close();
    }

    /// <summary>
    /// Registers a thread has at entry when ptxas knows the launch: the 64 Ki file shared by the bound's groups, in steps
    /// of 8, at most 255; null without a minimum of groups per multiprocessor (ptxas then cannot tell, C7508).
    /// </summary>
    internal static int? EntryRegisters(IrLaunchBounds? bounds) =>
        bounds is { MinGroupsPerMultiprocessor: > 0 } b ? Math.Min(65536 / (b.MaxGroupSize * b.MinGroupsPerMultiprocessor) / 8 * 8, 255) : null;

    /// <summary>Copies the accumulators into the scratch array, runs <paramref name="call"/>, and copies them back.</summary>
    private void Wgmma(IrHopper h, string call)
    {
        _w.Open();
        _w.Line("float[] __acc = __hopper.Accumulators;");
        for (int i = 0; i < h.Targets.Count; i++)
            _w.Line("__acc[" + i + "] = " + _x.Emit(new IrLocalRef(h.Targets[i])) + ";");
        _w.Line(call);
        for (int i = 0; i < h.Targets.Count; i++)
            if (_declared.Contains(h.Targets[i])) _w.Line(CpuNames.Local(h.Targets[i]) + " = __acc[" + i + "];");
        _w.Close();
    }

    private static string Bool(bool value) => value ? "true" : "false";
}
