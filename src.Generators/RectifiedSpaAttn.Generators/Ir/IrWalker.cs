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
    /// Whether executing <paramref name="s"/> can synchronise threads: a group or warp barrier, or a warp collective
    /// (shuffle, mma, ldmatrix). Backends that emulate threads (CPU, OpenCL's warp emulation) split work there.
    /// </summary>
    public static bool IsSyncPoint(IrStmt s) => s is IrBarrier or IrWarpBarrier or IrShuffle or IrMma or IrLoadMatrix;

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
}
