using System.Collections.Generic;

namespace RectifiedSpaAttn.Generators.Ir;

/// <summary>Read-only traversals of the IR that several passes and backends need.</summary>
public static class IrWalker
{
    /// <summary>Every statement in <paramref name="block"/>, nested ones included, in source order (pre-order).</summary>
    public static IEnumerable<IrStmt> Statements(IrBlock block)
    {
        foreach (IrStmt s in block.Statements)
        {
            yield return s;
            foreach (IrBlock child in Children(s))
                foreach (IrStmt n in Statements(child)) yield return n;
        }
    }

    /// <summary>The blocks directly nested in <paramref name="s"/>.</summary>
    public static IEnumerable<IrBlock> Children(IrStmt s)
    {
        switch (s)
        {
            case IrBlock b: yield return b; break;
            case IrIf i: yield return i.Then; yield return i.Else; break;
            case IrLoop l: yield return l.Body; yield return l.Step; break;
        }
    }

    /// <summary>
    /// Whether executing <paramref name="s"/> can synchronise threads: a group, warp or named barrier (an arrival
    /// included: it needs the emulated group's barrier state), or a warp collective (shuffle, mma, ldmatrix). Backends
    /// that emulate threads (CPU, OpenCL's warp emulation) split work there.
    /// </summary>
    public static bool IsSyncPoint(IrStmt s) => s is IrBarrier or IrWarpBarrier or IrNamedBarrier or IrShuffle or IrMma or IrLoadMatrix or IrHopper { IsSyncPoint: true };

    /// <summary>Whether <paramref name="s"/> is or contains a synchronisation point.</summary>
    public static bool ContainsSyncPoint(IrStmt s)
    {
        if (IsSyncPoint(s)) return true;
        foreach (IrBlock b in Children(s))
            foreach (IrStmt n in Statements(b))
                if (IsSyncPoint(n)) return true;
        return false;
    }

    /// <summary>Every expression in <paramref name="e"/>, itself included (pre-order).</summary>
    public static IEnumerable<IrExpr> Expressions(IrExpr e)
    {
        yield return e;
        foreach (IrExpr child in Operands(e))
            foreach (IrExpr n in Expressions(child)) yield return n;
    }

    /// <summary>The direct operands of <paramref name="e"/> (a view's offset and length included).</summary>
    public static IEnumerable<IrExpr> Operands(IrExpr e)
    {
        switch (e)
        {
            case IrUnary u: yield return u.Operand; break;
            case IrBinary b: yield return b.Left; yield return b.Right; break;
            case IrCompare c: yield return c.Left; yield return c.Right; break;
            case IrConditional c: yield return c.Condition; yield return c.WhenTrue; yield return c.WhenFalse; break;
            case IrConvert c: yield return c.Operand; break;
            case IrBitcast c: yield return c.Operand; break;
            case IrLoad l: yield return l.View.ByteOffset; yield return l.View.Length; yield return l.Index; break;
            case IrViewLength v: yield return v.View.ByteOffset; yield return v.View.Length; break;
            case IrMath m: foreach (IrExpr a in m.Args) yield return a; break;
        }
    }

    /// <summary>The expressions a statement holds directly (views' offsets and lengths included), not those of nested statements.</summary>
    public static IEnumerable<IrExpr> DirectExpressions(IrStmt s)
    {
        switch (s)
        {
            case IrAssign a: yield return a.Value; break;
            case IrStore st: foreach (IrExpr e in View(st.View)) yield return e; yield return st.Index; yield return st.Value; break;
            case IrIf i: yield return i.Condition; break;
            case IrLoop l: if (l.Condition != null) yield return l.Condition; break;
            case IrShuffle sh: yield return sh.Value; yield return sh.Lane; break;
            case IrMma m: foreach (IrExpr e in Concat(m.A, m.B, m.C)) yield return e; break;
            case IrLoadMatrix lm: foreach (IrExpr e in View(lm.View)) yield return e; yield return lm.RowIndex; break;
            case IrAtomic at:
                foreach (IrExpr e in View(at.View)) yield return e;
                yield return at.Index; yield return at.Value;
                if (at.Comparand != null) yield return at.Comparand;
                break;
            case IrVectorLoad vl: foreach (IrExpr e in View(vl.View)) yield return e; yield return vl.Index; break;
            case IrVectorStore vs: foreach (IrExpr e in View(vs.View)) yield return e; yield return vs.Index; foreach (IrExpr e in vs.Values) yield return e; break;
            case IrAsyncCopy c:
                foreach (IrExpr e in View(c.Destination)) yield return e;
                yield return c.DestinationIndex;
                foreach (IrExpr e in View(c.Source)) yield return e;
                yield return c.SourceIndex;
                break;
            case IrNamedBarrier nb: yield return nb.Id; yield return nb.Threads; break;
            case IrHopper h:
                foreach (IrView v in h.Views) foreach (IrExpr e in View(v)) yield return e;
                foreach (IrExpr e in h.Args) yield return e;
                // wgmma reads its accumulators as well as writing them.
                if (h.Op is IrHopperOp.WgmmaShared or IrHopperOp.WgmmaRegisterA) foreach (IrLocal l in h.Targets) yield return new IrLocalRef(l);
                break;
        }
    }

    /// <summary>The locals <paramref name="s"/> itself writes (not those of nested statements).</summary>
    public static IEnumerable<IrLocal> Targets(IrStmt s)
    {
        switch (s)
        {
            case IrAssign a: yield return a.Target; break;
            case IrShuffle sh: yield return sh.Target; break;
            case IrMma m: foreach (IrLocal l in m.D) yield return l; break;
            case IrLoadMatrix lm: foreach (IrLocal l in lm.Targets) yield return l; break;
            case IrAtomic { Target: { } t }: yield return t; break;
            case IrVectorLoad vl: foreach (IrLocal l in vl.Targets) yield return l; break;
            case IrHopper h: foreach (IrLocal l in h.Targets) yield return l; break;
        }
    }

    private static IEnumerable<IrExpr> View(IrView v) { yield return v.ByteOffset; yield return v.Length; }

    private static IEnumerable<IrExpr> Concat(params IReadOnlyList<IrExpr>[] lists)
    {
        foreach (IReadOnlyList<IrExpr> list in lists)
            foreach (IrExpr e in list) yield return e;
    }
}
