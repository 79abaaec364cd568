using System;
using System.Collections.Generic;
using System.Linq;
using System.Text;
using RectifiedSpaAttn.Generators.Ir;

namespace RectifiedSpaAttn.Generators.Backends.OpenCL;

/// <summary>
/// IR statements as OpenCL C statements. Structured control flow maps 1:1. An <see cref="IrLoop"/> becomes
/// <c>for (;;) { if (!cond) break; body; step }</c>; when its body continues, the body sits in <c>do { } while (0)</c> so
/// that C's <c>continue</c> leaves the body and falls into the step, and a break out of it sets a per-loop flag first.
/// Nested loops are their own C loops, so C's innermost-loop rule picks the right target.
/// </summary>
internal sealed class OpenCLStatementWriter : IrStmtVisitor
{
    private readonly StringBuilder _out = new();
    private readonly Stack<int?> _loops = new(); // per enclosing IR loop: its break flag's number when the body is wrapped
    private int _indent = 1;
    private int _nextLoop;

    /// <summary>The names of the break flags the loops need (declared at the top of the kernel).</summary>
    public List<string> BreakFlags { get; } = new();

    public string Text => _out.ToString();

    private static string E(IrExpr e) => OpenCLExpressionWriter.Write(e);

    private void Line(string s) => _out.Append(' ', _indent * 4).Append(s).Append('\n');

    public void Block(IrBlock block)
    {
        foreach (IrStmt s in block.Statements) Visit(s);
    }

    // One method per statement kind (IrStmtVisitor): a kind this backend misses does not build.
    internal override void VisitBlock(IrBlock b)
    {
        Line("{"); _indent++; Block(b); _indent--; Line("}");
    }

    internal override void VisitAssign(IrAssign a) => Line($"{OpenCLNames.Local(a.Target)} = {E(a.Value)};");

    internal override void VisitStore(IrStore st)
        => Line($"{OpenCLAddressing.Element(st.View, E(st.Index), E)} = {StoredValue(st.View.ElementType, st.Value)};");

    internal override void VisitIf(IrIf i)
    {
        Line($"if ({OpenCLExpressionWriter.Condition(i.Condition)})");
        Line("{"); _indent++; Block(i.Then); _indent--; Line("}");
        if (i.Else.Statements.Count > 0)
        {
            Line("else");
            Line("{"); _indent++; Block(i.Else); _indent--; Line("}");
        }
    }

    internal override void VisitLoop(IrLoop l) => Loop(l);

    internal override void VisitBreak(IrBreak s)
    {
        if (_loops.Count == 0) throw new InvalidOperationException("OpenCL backend: break outside a loop");
        if (_loops.Peek() is int flag) Line($"{{ rsa_brk{flag} = true; break; }}");
        else Line("break;");
    }

    internal override void VisitContinue(IrContinue s)
    {
        if (_loops.Count == 0 || _loops.Peek() is null) throw new InvalidOperationException("OpenCL backend: continue outside a loop body");
        Line("continue; /* leaves the do-while(0) body, runs the step */");
    }

    internal override void VisitReturn(IrReturn s) => Line("return;");

    internal override void VisitBarrier(IrBarrier s) => Line("barrier(CLK_LOCAL_MEM_FENCE | CLK_GLOBAL_MEM_FENCE);");

    internal override void VisitWarpBarrier(IrWarpBarrier s)
        => Line("barrier(CLK_LOCAL_MEM_FENCE | CLK_GLOBAL_MEM_FENCE); /* warp barrier: a group barrier here (group-uniform) */");

    internal override void VisitShuffle(IrShuffle sh) => Shuffle(sh);
    internal override void VisitMma(IrMma m) => Mma(m);
    internal override void VisitLoadMatrix(IrLoadMatrix lm) => LoadMatrix(lm);
    internal override void VisitAtomic(IrAtomic at) => Atomic(at);

    internal override void VisitVectorLoad(IrVectorLoad vl)
    {
        string p = $"({OpenCLAddressing.SpaceQualifier(vl.View)} uint*){OpenCLAddressing.ByteAddress(vl.View, E(vl.Index), E)}";
        Line("{");
        _indent++;
        Line($"const uint4 rsa_v = vload4(0, {p});");
        string[] lanes = ["x", "y", "z", "w"];
        for (int i = 0; i < 4; i++) Line($"{OpenCLNames.Local(vl.Targets[i])} = rsa_v.{lanes[i]};");
        _indent--;
        Line("}");
    }

    internal override void VisitVectorStore(IrVectorStore vs)
    {
        string p = $"({OpenCLAddressing.SpaceQualifier(vs.View)} uint*){OpenCLAddressing.ByteAddress(vs.View, E(vs.Index), E)}";
        Line($"vstore4((uint4)({string.Join(", ", vs.Values.Select(E))}), 0, {p});");
    }

    internal override void VisitAsyncCopy(IrAsyncCopy c)
    {
        string dst = $"({OpenCLAddressing.SpaceQualifier(c.Destination)} uint*){OpenCLAddressing.ByteAddress(c.Destination, E(c.DestinationIndex), E)}";
        string src = $"({OpenCLAddressing.SpaceQualifier(c.Source)} uint*){OpenCLAddressing.ByteAddress(c.Source, E(c.SourceIndex), E)}";
        Line($"vstore4(vload4(0, {src}), 0, {dst}); /* cp.async: copied at once */");
    }

    internal override void VisitAsyncCommit(IrAsyncCommit s) => Line("/* cp.async.commit_group: nothing to do, copies complete at once */");

    internal override void VisitAsyncWait(IrAsyncWait w)
        => Line($"/* cp.async.wait_group {w.Pending}: nothing to do; the kernel's barrier makes the copies visible */");

    // KernelBackends never asks OpenCL for a [RequiresHopper] kernel (HopperRequirement answers for it), and only
    // those kernels hold Hopper statements.
    internal override void VisitHopper(IrHopper s)
        => throw new InvalidOperationException("OpenCL backend: Hopper statement " + s.Op + " (a [RequiresHopper] kernel is built for sm_90a alone)");

    // OpenCLKernelFacts lists named barriers as a problem, so KernelBackends never asks for such a kernel's program.
    internal override void VisitNamedBarrier(IrNamedBarrier s)
        => throw new InvalidOperationException("OpenCL backend: named barrier (bar." + s.Kind.ToString().ToLowerInvariant() + "): OpenCL C has no named barriers");

    private static string StoredValue(IrType elementType, IrExpr value)
        => elementType == IrType.Bool ? $"(uchar)({E(value)} ? 1 : 0)" : E(value);

    private void Loop(IrLoop l)
    {
        int id = _nextLoop++;
        bool wrap = ContinuesDirectly(l.Body);
        if (wrap)
        {
            BreakFlags.Add($"rsa_brk{id}");
            Line($"rsa_brk{id} = false;");
        }
        Line("for (;;)");
        Line("{");
        _indent++;
        if (l.Condition != null) Line($"if (!{E(l.Condition)}) break;");
        _loops.Push(wrap ? id : null);
        if (wrap)
        {
            Line("do");
            Line("{");
            _indent++;
            Block(l.Body);
            _indent--;
            Line("} while (0);");
            Line($"if (rsa_brk{id}) break;");
        }
        else
        {
            Block(l.Body);
        }
        _loops.Pop();
        // The step of a C# for loop cannot break or continue; it runs outside the body's wrapper.
        _loops.Push(null);
        Block(l.Step);
        _loops.Pop();
        _indent--;
        Line("}");
    }

    /// <summary>Whether <paramref name="block"/> continues its own loop (not counting loops nested in it).</summary>
    private static bool ContinuesDirectly(IrBlock block)
    {
        foreach (IrStmt s in block.Statements)
        {
            if (s is IrContinue) return true;
            if (s is IrLoop) continue;
            foreach (IrBlock child in IrWalker.Children(s))
                if (ContinuesDirectly(child)) return true;
        }
        return false;
    }

    private void Shuffle(IrShuffle sh)
    {
        IrType t = sh.Value.Type;
        string bits = t == IrType.F32 ? $"as_uint({E(sh.Value)})" : $"(uint)({E(sh.Value)})";
        string lane = $"({E(sh.Lane)} & 31)";
        string src = sh.Kind switch
        {
            IrShuffleKind.Idx => lane,
            IrShuffleKind.Xor => $"((rsa_lin & 31) ^ {lane})",
            // Past lane 31 a lane keeps its own value.
            _ => $"(((rsa_lin & 31) + {lane}) > 31 ? (rsa_lin & 31) : ((rsa_lin & 31) + {lane}))",
        };
        string call = $"rsa_shuffle(rsa_xchg, {bits}, {src}, rsa_lin)";
        string back = t == IrType.F32 ? $"as_float({call})" : $"({OpenCLNames.Type(t)}){call}";
        Line($"{OpenCLNames.Local(sh.Target)} = {back}; /* shfl.{sh.Kind.ToString().ToLowerInvariant()}, emulated */");
    }

    private void Mma(IrMma m)
    {
        Line("{ /* mma.m16n8k16, emulated */");
        _indent++;
        Line($"float rsa_d[4] = {{ {string.Join(", ", m.C.Select(E))} }};");
        Line($"rsa_mma_m16n8k16(rsa_xchg, {(m.Kind == IrMmaKind.BF16 ? 1 : 0)}, {string.Join(", ", m.A.Select(E))}, {string.Join(", ", m.B.Select(E))}, rsa_d, rsa_lin, rsa_warps);");
        for (int i = 0; i < 4; i++) Line($"{OpenCLNames.Local(m.D[i])} = rsa_d[{i}];");
        _indent--;
        Line("}");
    }

    private void LoadMatrix(IrLoadMatrix lm)
    {
        int count = lm.Targets.Count;
        Line($"{{ /* ldmatrix.x{count}{(lm.Transposed ? ".trans" : "")}, emulated */");
        _indent++;
        Line("uint rsa_m[4];");
        Line($"rsa_ldmatrix(rsa_xchg, {OpenCLAddressing.RootBytes(lm.View.Root)}, (uint){OpenCLAddressing.ByteOffset(lm.View, E(lm.RowIndex), E)}, {count}, {(lm.Transposed ? 1 : 0)}, rsa_m, rsa_lin);");
        for (int i = 0; i < count; i++) Line($"{OpenCLNames.Local(lm.Targets[i])} = rsa_m[{i}];");
        _indent--;
        Line("}");
    }

    private void Atomic(IrAtomic at)
    {
        string pointer = $"&{OpenCLAddressing.Element(at.View, E(at.Index), E)}";
        string call = at.Op switch
        {
            IrAtomicOp.Add when at.View.ElementType == IrType.F32 =>
                $"rsa_atomic_add_f32_{(at.View.Space == IrAddressSpace.Global ? "global" : "local")}({pointer}, {E(at.Value)})",
            IrAtomicOp.Add => $"atomic_add({pointer}, {E(at.Value)})",
            IrAtomicOp.Max => $"atomic_max({pointer}, {E(at.Value)})",
            IrAtomicOp.Exchange => $"atomic_xchg({pointer}, {E(at.Value)})",
            _ => $"atomic_cmpxchg({pointer}, {E(at.Comparand ?? throw new InvalidOperationException("OpenCL backend: compare-exchange without a comparand"))}, {E(at.Value)})",
        };
        Line(at.Target is null ? $"{call};" : $"{OpenCLNames.Local(at.Target)} = {call};");
    }
}
