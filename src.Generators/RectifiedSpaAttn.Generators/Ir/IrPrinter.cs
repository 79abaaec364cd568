using System.Globalization;
using System.Linq;
using System.Text;

namespace RectifiedSpaAttn.Generators.Ir;

/// <summary>A readable text form of a kernel's IR, for tests and for debugging the frontend.</summary>
public static class IrPrinter
{
    public static string Print(IrKernel kernel)
    {
        var sb = new StringBuilder();
        sb.Append("kernel ").Append(kernel.EntryPoint).Append('(')
          .Append(string.Join(", ", kernel.Parameters.Select(p => (p.Kind == IrParamKind.Buffer ? "buffer<" + p.Type + "> " : p.Type + " ") + p.Name)))
          .AppendLine(")");
        foreach (IrSharedAllocation a in kernel.SharedAllocations)
            sb.Append("  shared ").Append(a.Name).Append(' ').Append(a.Type).Append('[').Append(a.Length).Append("] @").Append(a.ByteOffset).AppendLine();
        Block(sb, kernel.Body, 1);
        return sb.ToString();
    }

    private static void Block(StringBuilder sb, IrBlock block, int depth)
    {
        foreach (IrStmt s in block.Statements) Statement(sb, s, depth);
    }

    private static void Statement(StringBuilder sb, IrStmt s, int depth)
    {
        string pad = new(' ', depth * 2);
        switch (s)
        {
            case IrAssign a: sb.Append(pad).Append(a.Target).Append(" = ").Append(Expr(a.Value)).AppendLine(); break;
            case IrStore st: sb.Append(pad).Append(View(st.View)).Append('[').Append(Expr(st.Index)).Append("] = ").Append(Expr(st.Value)).AppendLine(); break;
            case IrIf i:
                sb.Append(pad).Append("if ").Append(Expr(i.Condition)).AppendLine();
                Block(sb, i.Then, depth + 1);
                if (i.Else.Statements.Count > 0) { sb.Append(pad).AppendLine("else"); Block(sb, i.Else, depth + 1); }
                break;
            case IrLoop l:
                sb.Append(pad).Append("loop").Append(l.Condition is null ? "" : " while " + Expr(l.Condition)).AppendLine();
                Block(sb, l.Body, depth + 1);
                if (l.Step.Statements.Count > 0) { sb.Append(pad).AppendLine("step"); Block(sb, l.Step, depth + 1); }
                break;
            case IrBlock b: Block(sb, b, depth); break;
            case IrShuffle sh: sb.Append(pad).Append(sh.Target).Append(" = shuffle.").Append(sh.Kind).Append('(').Append(Expr(sh.Value)).Append(", ").Append(Expr(sh.Lane)).AppendLine(")"); break;
            case IrMma m:
                sb.Append(pad).Append('{').Append(string.Join(", ", m.D)).Append("} = mma.").Append(m.Kind).Append("({")
                  .Append(string.Join(", ", m.A.Select(Expr))).Append("}, {").Append(string.Join(", ", m.B.Select(Expr))).Append("}, {")
                  .Append(string.Join(", ", m.C.Select(Expr))).AppendLine("})");
                break;
            case IrLoadMatrix lm:
                sb.Append(pad).Append('{').Append(string.Join(", ", lm.Targets)).Append("} = ldmatrix.x").Append(lm.Targets.Count).Append(lm.Transposed ? ".trans" : "")
                  .Append('(').Append(View(lm.View)).Append(", ").Append(Expr(lm.RowIndex)).AppendLine(")");
                break;
            case IrAtomic at:
                sb.Append(pad).Append(at.Target is null ? "" : at.Target + " = ").Append("atomic.").Append(at.Op).Append('(').Append(View(at.View)).Append('[').Append(Expr(at.Index))
                  .Append("], ").Append(Expr(at.Value)).Append(at.Comparand is null ? "" : ", " + Expr(at.Comparand)).AppendLine(")");
                break;
            case IrVectorLoad vl: sb.Append(pad).Append('{').Append(string.Join(", ", vl.Targets)).Append("} = load16(").Append(View(vl.View)).Append('[').Append(Expr(vl.Index)).AppendLine("])"); break;
            case IrVectorStore vs: sb.Append(pad).Append("store16(").Append(View(vs.View)).Append('[').Append(Expr(vs.Index)).Append("], ").Append(string.Join(", ", vs.Values.Select(Expr))).AppendLine(")"); break;
            case IrAsyncCopy ac: sb.Append(pad).Append("cp.async ").Append(View(ac.Destination)).Append('[').Append(Expr(ac.DestinationIndex)).Append("] <- ").Append(View(ac.Source)).Append('[').Append(Expr(ac.SourceIndex)).AppendLine("]"); break;
            case IrAsyncWait w: sb.Append(pad).Append("cp.async.wait ").Append(w.Pending).AppendLine(); break;
            case IrNamedBarrier nb: sb.Append(pad).Append("bar.").Append(nb.Kind.ToString().ToLowerInvariant()).Append(' ').Append(Expr(nb.Id)).Append(", ").Append(Expr(nb.Threads)).AppendLine(); break;
            default: sb.Append(pad).AppendLine(s.GetType().Name.Substring(2).ToLowerInvariant()); break;
        }
    }

    private static string View(IrView v)
    {
        string root = v.Root switch
        {
            IrBufferRoot b => b.Param.Name,
            IrSharedAllocation a => a.Name,
            _ => "dyn_smem",
        };
        string offset = v.ByteOffset is IrConst { Bits: 0 } ? "" : "+" + Expr(v.ByteOffset);
        return root + offset + "<" + v.ElementType + ">";
    }

    public static string Expr(IrExpr e) => e switch
    {
        IrConst c when c.Type == IrType.Bool => c.IsTrue ? "true" : "false",
        IrConst c when IrTypes.IsFloat(c.Type) => c.Float.ToString("R", CultureInfo.InvariantCulture) + (c.Type == IrType.F32 ? "f" : ""),
        IrConst c => c.Bits.ToString(CultureInfo.InvariantCulture) + (c.Type == IrType.I32 ? "" : ":" + c.Type),
        IrLocalRef l => l.Local.ToString(),
        IrParamRef p => p.Param.Name,
        IrBufferLength b => b.Param.Name + ".length",
        IrSpecial s => s.Kind.ToString(),
        IrUnary u => u.Op + "(" + Expr(u.Operand) + ")",
        IrBinary b => "(" + Expr(b.Left) + " " + b.Op + " " + Expr(b.Right) + ")",
        IrCompare c => "(" + Expr(c.Left) + " " + c.Op + " " + Expr(c.Right) + ")",
        IrConditional c => "(" + Expr(c.Condition) + " ? " + Expr(c.WhenTrue) + " : " + Expr(c.WhenFalse) + ")",
        IrConvert c => c.Type + "(" + Expr(c.Operand) + ")",
        IrBitcast c => "bits<" + c.Type + ">(" + Expr(c.Operand) + ")",
        IrLoad l => View(l.View) + "[" + Expr(l.Index) + "]",
        IrViewLength v => View(v.View) + ".length",
        IrMath m => m.Op + "(" + string.Join(", ", m.Args.Select(Expr)) + ")",
        _ => e.GetType().Name,
    };
}
