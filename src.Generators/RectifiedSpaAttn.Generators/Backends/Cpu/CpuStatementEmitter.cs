using System;
using System.Collections.Generic;
using System.Linq;
using RectifiedSpaAttn.Generators.Ir;

namespace RectifiedSpaAttn.Generators.Backends.Cpu;

/// <summary>
/// Emits the body of one kernel thread: a plain method (kernels without synchronisation) or an iterator that
/// yields its synchronisation site's index at every barrier and warp collective.
/// </summary>
/// <remarks>
/// Statements C# would consider unreachable (after a return, break or continue, or after an endless loop without
/// a break) are not emitted, mirroring C#'s reachability rules, so the output compiles without warnings.
/// In iterators, warp collectives publish their operands through the warp's exchange (<c>__warp</c>), yield, then
/// take their result; <c>__bank</c> alternates per collective (see <c>CpuWarp</c>).
/// </remarks>
internal sealed partial class CpuStatementEmitter : IrStmtVisitor<bool>
{
    private readonly CpuCodeWriter _w;
    private readonly CpuExpressionEmitter _x;
    private readonly bool _iterator;
    private readonly ISet<IrLocal> _declared;
    private readonly int? _entryRegisters;
    private readonly List<LoopState> _loops = new();
    private int _labels;

    /// <param name="writer">Where the statements go.</param>
    /// <param name="expressions">Emits expressions and records the locals they read.</param>
    /// <param name="iterator">Whether the thread is an iterator (the kernel synchronises).</param>
    /// <param name="declared">Locals that will be declared; writes to any other local are dropped.</param>
    /// <param name="launchBounds">The kernel's launch bounds (they fix the registers <c>setmaxnreg</c> moves), or null.</param>
    public CpuStatementEmitter(CpuCodeWriter writer, CpuExpressionEmitter expressions, bool iterator, ISet<IrLocal> declared,
        IrLaunchBounds? launchBounds = null)
    {
        _w = writer;
        _x = expressions;
        _iterator = iterator;
        _declared = declared;
        _entryRegisters = EntryRegisters(launchBounds);
    }

    /// <summary>The synchronisation sites in the order their indices were given out.</summary>
    public List<(string Kind, string Description)> Sites { get; } = new();

    /// <summary>Whether any warp collective was emitted (the iterator then needs <c>__lane</c> and <c>__bank</c>).</summary>
    public bool UsesWarpExchange { get; private set; }

    /// <summary>Emits the statements of <paramref name="block"/>; returns whether its end is reachable.</summary>
    public bool Block(IrBlock block)
    {
        foreach (IrStmt s in block.Statements)
        {
            if (!Visit(s)) return false;
        }
        return true;
    }

    // One method per statement kind (IrStmtVisitor<bool>), each returning whether the end is reachable: a kind this
    // backend misses does not build.
    internal override bool VisitBlock(IrBlock b)
    {
        _w.Open();
        bool end = Block(b);
        _w.Close();
        return end;
    }

    internal override bool VisitAssign(IrAssign a)
    {
        if (_declared.Contains(a.Target)) _w.Line(Target(a.Target) + " = " + _x.Emit(a.Value) + ";");
        return true;
    }

    internal override bool VisitStore(IrStore st)
    {
        _w.Line(CpuNames.Memory + ".Store<" + CpuNames.TypeName(st.View.ElementType) + ">(" + _x.Access(st.View, st.Index) + ", " + _x.Emit(st.Value) + ");");
        return true;
    }

    internal override bool VisitIf(IrIf i) => If(i);
    internal override bool VisitLoop(IrLoop l) => Loop(l);

    internal override bool VisitBreak(IrBreak s)
    {
        Innermost("break").Broken = true;
        _w.Line("break;");
        return false;
    }

    internal override bool VisitContinue(IrContinue s)
    {
        Continue();
        return false;
    }

    internal override bool VisitReturn(IrReturn s)
    {
        _w.Line(_iterator ? "yield break;" : "return;");
        return false;
    }

    internal override bool VisitBarrier(IrBarrier s)
    {
        Yield(false, "Group.Barrier");
        return true;
    }

    internal override bool VisitWarpBarrier(IrWarpBarrier s)
    {
        Yield(true, "Warp.Barrier");
        return true;
    }

    /// <summary>
    /// A named barrier on the group's emulated barriers (<c>CpuNamedBarriers</c>, reached through the warp). The warp's
    /// lanes first meet at a warp site, so a warp's 32 arrivals are counted together, as the hardware counts a warp, and
    /// never split over two phases; a lane that skips the call is a reported divergence. <c>bar.sync</c> then polls until
    /// the phase the thread arrived in has completed.
    /// </summary>
    internal override bool VisitNamedBarrier(IrNamedBarrier nb)
    {
        string call = "NamedBarrier." + nb.Kind;
        Yield(true, call);
        string arrive = "__warp.NamedBarriers.Arrive(" + _x.Emit(nb.Id) + ", " + _x.Emit(nb.Threads) + ")";
        if (nb.Kind == IrNamedBarrierKind.Arrive)
        {
            _w.Line(arrive + ";");
            return true;
        }
        _w.Open();
        _w.Line("int __phase = " + arrive + ";");
        string test = "__warp.NamedBarriers.Completed(" + _x.Emit(nb.Id) + ", __phase)";
        _w.Open("if (!" + test + ")");
        int site = Yield("Poll", call + " phase");
        _w.Line("while (!" + test + ") yield return " + site + " + " + Emulation + "CpuGroupScheduler.RepollFlag;");
        _w.Close();
        _w.Close();
        return true;
    }

    internal override bool VisitShuffle(IrShuffle sh) { Shuffle(sh); return true; }
    internal override bool VisitMma(IrMma m) { Mma(m); return true; }
    internal override bool VisitLoadMatrix(IrLoadMatrix lm) { LoadMatrix(lm); return true; }
    internal override bool VisitAtomic(IrAtomic at) { Atomic(at); return true; }
    internal override bool VisitVectorLoad(IrVectorLoad vl) { VectorLoad(vl); return true; }

    internal override bool VisitVectorStore(IrVectorStore vs)
    {
        _w.Line(CpuNames.Memory + ".Store16<" + CpuNames.TypeName(vs.View.ElementType) + ">(" + _x.Access(vs.View, vs.Index) + ", "
            + string.Join(", ", vs.Values.Select(_x.Emit)) + ");");
        return true;
    }

    internal override bool VisitAsyncCopy(IrAsyncCopy cp)
    {
        _w.Line(CpuNames.Memory + ".Copy16<" + CpuNames.TypeName(cp.Destination.ElementType) + ">(" + _x.Access(cp.Destination, cp.DestinationIndex) + ", "
            + _x.Access(cp.Source, cp.SourceIndex) + ");");
        return true;
    }

    internal override bool VisitHopper(IrHopper h) { Hopper(h); return true; }

    internal override bool VisitAsyncCommit(IrAsyncCommit s)
    {
        _w.Line("// cp.async.commit_group: nothing to do, the CPU copies at once.");
        return true;
    }

    internal override bool VisitAsyncWait(IrAsyncWait wait)
    {
        _w.Line("// cp.async.wait_group " + wait.Pending + ": nothing to wait for on the CPU.");
        return true;
    }

    private bool If(IrIf i)
    {
        if (i.Condition is IrConst c)
        {
            // A constant condition: emit only the branch taken (C# would call the other unreachable).
            _w.Open();
            bool end = Block(c.IsTrue ? i.Then : i.Else);
            _w.Close();
            return end;
        }
        _w.Open("if (" + _x.Condition(i.Condition) + ")");
        bool thenEnd = Block(i.Then);
        bool elseEnd = true;
        if (i.Else.Statements.Count > 0)
        {
            _w.Close();
            _w.Open("else");
            elseEnd = Block(i.Else);
        }
        _w.Close();
        return thenEnd || elseEnd;
    }

    private bool Loop(IrLoop l)
    {
        if (l.Condition is IrConst { IsTrue: false }) return true; // Never entered.
        bool endless = l.Condition is null or IrConst;
        var loop = new LoopState(l.Step.Statements.Count > 0 ? "continue_" + _labels++ : null);
        _loops.Add(loop);
        _w.Open("while (" + (endless ? "true" : _x.Condition(l.Condition!)) + ")");
        bool bodyEnd = Block(l.Body);
        if (bodyEnd || loop.Continued)
        {
            if (loop.Label is not null && loop.Continued) _w.Line(loop.Label + ":");
            if (loop.Label is not null)
            {
                _w.Open();
                Block(l.Step);
                _w.Close();
            }
        }
        _w.Close();
        _loops.RemoveAt(_loops.Count - 1);
        return !endless || loop.Broken;
    }

    private void Continue()
    {
        LoopState loop = Innermost("continue");
        loop.Continued = true;
        // With a step, continue runs it: jump to the label in front of it (out of nested blocks, which C# allows).
        _w.Line(loop.Label is null ? "continue;" : "goto " + loop.Label + ";");
    }

    private LoopState Innermost(string what)
        => _loops.Count > 0 ? _loops[_loops.Count - 1] : throw new InvalidOperationException("IR " + what + " outside a loop.");

    private void Yield(bool warp, string description) => Yield(warp ? "Warp" : "GroupBarrier", description);

    /// <summary>Yields a new site of kind <paramref name="kind"/> (a <c>CpuSyncKind</c> name); returns its index.</summary>
    private int Yield(string kind, string description)
    {
        if (!_iterator) throw new InvalidOperationException("A synchronisation point in a kernel emitted without synchronisation.");
        int site = Sites.Count;
        Sites.Add((kind, description + " #" + site));
        _w.Line("yield return " + site + "; // " + description);
        return site;
    }

    private void Shuffle(IrShuffle sh)
    {
        UsesWarpExchange = true;
        string bits = sh.Value.Type switch
        {
            IrType.I32 => "((uint)" + _x.Emit(sh.Value) + ")",
            IrType.U32 => _x.Emit(sh.Value),
            IrType.F32 => CpuNames.BitConverter + ".SingleToUInt32Bits(" + _x.Emit(sh.Value) + ")",
            _ => throw new NotSupportedException("The CPU backend shuffles I32, U32 and F32, not " + sh.Value.Type + "."),
        };
        // The lane operand is evaluated before the sync, as on the GPU (it may load memory other lanes change later).
        _w.Line("__warp.PublishShuffle(__bank, __lane, " + bits + ", " + _x.Emit(sh.Lane) + ");");
        string kind = sh.Kind switch { IrShuffleKind.Idx => "Idx", IrShuffleKind.Xor => "Xor", _ => "Down" };
        Yield(true, "Warp.Shuffle" + kind);
        if (_declared.Contains(sh.Target))
        {
            string result = "__warp.Shuffle" + kind + "(__bank, __lane)";
            result = sh.Target.Type switch
            {
                IrType.I32 => "((int)" + result + ")",
                IrType.F32 => CpuNames.BitConverter + ".UInt32BitsToSingle(" + result + ")",
                _ => result,
            };
            _w.Line(Target(sh.Target) + " = " + result + ";");
        }
        _w.Line("__bank ^= 1;");
    }

    private void Mma(IrMma m)
    {
        UsesWarpExchange = true;
        if (m.A.Count != 4 || m.B.Count != 2 || m.C.Count != 4 || m.D.Count != 4)
            throw new InvalidOperationException("mma.m16n8k16 takes 4 A, 2 B and 4 C registers and gives 4 D registers.");
        _w.Line("__warp.PublishMma(__bank, __lane, " + string.Join(", ", m.A.Concat(m.B).Concat(m.C).Select(_x.Emit)) + ");");
        Yield(true, m.Kind == IrMmaKind.BF16 ? "mma.m16n8k16.bf16" : "mma.m16n8k16.f16");
        string bf16 = m.Kind == IrMmaKind.BF16 ? "true" : "false";
        for (int i = 0; i < 4; i++)
        {
            if (_declared.Contains(m.D[i]))
                _w.Line(Target(m.D[i]) + " = __warp.MmaResult(__bank, __lane, " + bf16 + ", " + i + ");");
        }
        _w.Line("__bank ^= 1;");
    }

    private void LoadMatrix(IrLoadMatrix lm)
    {
        UsesWarpExchange = true;
        int count = lm.Targets.Count;
        if (count is not (1 or 2 or 4)) throw new InvalidOperationException("ldmatrix loads 1, 2 or 4 matrices, not " + count + ".");
        if (IrTypes.SizeOf(lm.View.ElementType) != 2) throw new InvalidOperationException("ldmatrix reads 16-bit elements, not " + lm.View.ElementType + ".");
        _w.Line("__warp.PublishRow(__bank, __lane, " + CpuExpressionEmitter.Root(lm.View.Root) + ", " + _x.AsLong(lm.View.ByteOffset) + ", "
            + _x.AsLong(lm.RowIndex) + ", " + CpuExpressionEmitter.RootName(lm.View.Root) + ");");
        Yield(true, "ldmatrix.x" + count + (lm.Transposed ? ".trans" : ""));
        string trans = lm.Transposed ? "true" : "false";
        for (int i = 0; i < count; i++)
        {
            if (_declared.Contains(lm.Targets[i]))
                _w.Line(Target(lm.Targets[i]) + " = __warp.LoadMatrix(__bank, __lane, " + count + ", " + trans + ", " + i + ");");
        }
        _w.Line("__bank ^= 1;");
    }

    private void Atomic(IrAtomic at)
    {
        string args = _x.Access(at.View, at.Index) + ", " + _x.Emit(at.Value);
        string call = at.Op switch
        {
            IrAtomicOp.Add => CpuNames.Memory + ".AtomicAdd(" + args + ")",
            IrAtomicOp.Max => CpuNames.Memory + ".AtomicMax(" + args + ")",
            IrAtomicOp.Exchange => CpuNames.Memory + ".AtomicExchange(" + args + ")",
            IrAtomicOp.CompareExchange => CpuNames.Memory + ".AtomicCompareExchange(" + args + ", "
                + _x.Emit(at.Comparand ?? throw new InvalidOperationException("Atomic compare-exchange without a comparand.")) + ")",
            _ => throw new NotSupportedException("The CPU backend does not know the atomic " + at.Op + "."),
        };
        _w.Line(at.Target is { } t && _declared.Contains(t) ? Target(t) + " = " + call + ";" : call + ";");
    }

    private void VectorLoad(IrVectorLoad vl)
    {
        if (vl.Targets.Count != 4) throw new InvalidOperationException("A 16-byte vector load has 4 targets.");
        string outs = string.Join(", ", vl.Targets.Select(t => _declared.Contains(t) ? "out " + Target(t) : "out _"));
        _w.Line(CpuNames.Memory + ".Load16<" + CpuNames.TypeName(vl.View.ElementType) + ">(" + _x.Access(vl.View, vl.Index) + ", " + outs + ");");
    }

    private static string Target(IrLocal local) => CpuNames.Local(local);

    /// <summary>A loop being emitted: its continue label (when it has a step) and whether break/continue target it.</summary>
    private sealed class LoopState
    {
        public LoopState(string? label) => Label = label;
        public string? Label { get; }
        public bool Broken { get; set; }
        public bool Continued { get; set; }
    }
}
