using System.Collections.Generic;
using System.Linq;
using RectifiedSpaAttn.Generators.Ir;

namespace RectifiedSpaAttn.Generators.Frontend;

/// <summary>
/// Removes the copies lowering leaves behind when a value is first made stable in a temporary and then copied into
/// the variable that keeps it (<c>t = e; y = t</c>, from an argument of a helper that reassigns its parameter, say).
/// The pair folds to <c>y = e</c> at the place of <c>t = e</c> when both are in one block, <c>t</c> is written and read
/// nowhere else, and nothing between them reads or writes <c>y</c>: <c>e</c> is still evaluated where it was, and
/// <c>y</c> only gets its value earlier than before, unseen. Locals left unused go too.
/// Smaller IR means smaller CPU and OpenCL output; ptxas would have removed the copies from PTX anyway.
/// </summary>
internal static class CopyFolding
{
    public static IrKernel Fold(IrKernel kernel)
    {
        var reads = new Dictionary<IrLocal, int>();
        var writes = new Dictionary<IrLocal, int>();
        foreach (IrStmt s in IrWalker.Statements(kernel.Body))
        {
            foreach (IrLocal target in IrWalker.Targets(s)) Count(writes, target);
            foreach (IrExpr root in IrWalker.DirectExpressions(s))
                foreach (IrExpr e in IrWalker.Expressions(root))
                    if (e is IrLocalRef r) Count(reads, r.Local);
        }

        bool Temporary(IrLocal l) => reads.TryGetValue(l, out int r) && r == 1 && writes.TryGetValue(l, out int w) && w == 1;
        IrBlock body = Block(kernel.Body, Temporary, reads, writes);
        IrLocal[] used = kernel.Locals.Where(l => reads.ContainsKey(l) || writes.ContainsKey(l)).ToArray();
        return new IrKernel(kernel.EntryPoint, kernel.Parameters, used, kernel.SharedAllocations, kernel.UsesDynamicShared, body, kernel.LaunchBounds, kernel.RequiresHopper);
    }

    private static IrBlock Block(IrBlock block, System.Func<IrLocal, bool> temporary, Dictionary<IrLocal, int> reads, Dictionary<IrLocal, int> writes)
    {
        var result = new List<IrStmt>(block.Statements.Count);
        foreach (IrStmt original in block.Statements)
        {
            IrStmt s = original switch
            {
                IrIf i => new IrIf(i.Condition, Block(i.Then, temporary, reads, writes), Block(i.Else, temporary, reads, writes)),
                IrLoop l => new IrLoop(l.Condition, Block(l.Body, temporary, reads, writes), Block(l.Step, temporary, reads, writes)),
                IrBlock b => Block(b, temporary, reads, writes),
                _ => original,
            };
            if (s is IrAssign { Value: IrLocalRef source } copy && copy.Target != source.Local && copy.Target.Type == source.Local.Type
                && temporary(source.Local) && FoldInto(result, copy.Target, source.Local))
            {
                // The temporary is gone: neither read nor written any more.
                reads.Remove(source.Local);
                writes.Remove(source.Local);
                continue;
            }
            result.Add(s);
        }
        return new IrBlock(result);
    }

    /// <summary>
    /// Turns the earlier <c>t = e</c> in <paramref name="block"/> into <c>target = e</c> when nothing after it touches
    /// <paramref name="target"/>: then writing it at that earlier point is the same as writing it now.
    /// </summary>
    private static bool FoldInto(List<IrStmt> block, IrLocal target, IrLocal temporary)
    {
        for (int j = block.Count - 1; j >= 0; j--)
        {
            if (block[j] is IrAssign { } definition && definition.Target == temporary)
            {
                block[j] = new IrAssign(target, definition.Value);
                return true;
            }
            if (Touches(block[j], target)) return false;
        }
        return false;
    }

    private static bool Touches(IrStmt statement, IrLocal local)
    {
        foreach (IrStmt s in IrWalker.Statements(new IrBlock(new[] { statement })))
        {
            if (IrWalker.Targets(s).Contains(local)) return true;
            foreach (IrExpr root in IrWalker.DirectExpressions(s))
                if (IrWalker.Expressions(root).Any(e => e is IrLocalRef r && r.Local == local)) return true;
        }
        return false;
    }

    private static void Count(Dictionary<IrLocal, int> counts, IrLocal local)
        => counts[local] = counts.TryGetValue(local, out int n) ? n + 1 : 1;
}
