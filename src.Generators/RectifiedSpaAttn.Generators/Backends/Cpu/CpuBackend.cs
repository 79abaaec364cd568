using System;
using System.Collections.Generic;
using System.Linq;
using RectifiedSpaAttn.Generators.Ir;

namespace RectifiedSpaAttn.Generators.Backends.Cpu;

/// <summary>
/// The CPU backend: turns a kernel variant's IR into C# that runs one whole thread group on the host with the
/// GPU's semantics, matching <c>RectifiedSpaAttn.Compute.CpuGroupFunction</c>.
/// </summary>
/// <remarks>
/// <para>Output: members for a generated static class: the group function <c>methodName</c>, a frame struct
/// <c>methodName_Frame</c> holding the unpacked arguments and launch geometry, and the thread function
/// <c>methodName_Thread</c> (plus <c>methodName_Sites</c> for kernels that synchronise). Everything is fully
/// qualified; the code needs neither unsafe code nor any using directive (pointer work lives in the library's
/// <c>RectifiedSpaAttn.Compute.Emulation</c> helpers).</para>
/// <para>Kernels without synchronisation points run their threads one after another through a plain method, so
/// <c>return</c> ends a thread and locals are C# locals. Kernels with barriers or warp collectives make each thread
/// an iterator that yields at every synchronisation point; <c>CpuGroupScheduler</c> interleaves them.</para>
/// </remarks>
public static class CpuBackend
{
    private const string Context = "global::RectifiedSpaAttn.Compute.CpuGroupContext";
    private const string Argument = "global::RectifiedSpaAttn.Compute.KernelArgument";

    /// <summary>Emits the CPU form of <paramref name="kernel"/> as C# member declarations; the group function is named <paramref name="methodName"/>.</summary>
    public static string Emit(IrKernel kernel, string methodName)
    {
        bool synchronises = IrWalker.Statements(kernel.Body).Any(IrWalker.IsSyncPoint);
        var names = new Names(methodName);
        (string body, CpuStatementEmitter statements) = EmitThreadBody(kernel, synchronises);

        var w = new CpuCodeWriter();
        EmitFrame(w, kernel, names);
        w.Line("");
        EmitGroupFunction(w, kernel, names, synchronises);
        w.Line("");
        if (synchronises)
        {
            EmitSites(w, names, statements.Sites);
            w.Line("");
            w.Line("private static global::System.Collections.Generic.IEnumerator<int> " + names.Thread + "(" + names.Frame
                + " f, int tx, int ty, int tz, int linear, global::RectifiedSpaAttn.Compute.Emulation.CpuWarp __warp)");
        }
        else
        {
            w.Line("private static void " + names.Thread + "(in " + names.Frame + " f, int tx, int ty, int tz, int linear)");
        }
        return w + body;
    }

    /// <summary>
    /// Emits the thread's body until the set of declared locals is exactly the set the code reads: dropping a
    /// write to an unread local can leave another local unread, so this repeats until nothing changes.
    /// </summary>
    private static (string Body, CpuStatementEmitter Statements) EmitThreadBody(IrKernel kernel, bool iterator)
    {
        var declared = new HashSet<IrLocal>(kernel.Locals.Concat(AssignedLocals(kernel.Body)));
        while (true)
        {
            var expressions = new CpuExpressionEmitter();
            var inner = new CpuCodeWriter();
            var statements = new CpuStatementEmitter(inner, expressions, iterator, declared, kernel.LaunchBounds);
            bool endReachable = statements.Block(kernel.Body);
            if (!expressions.Reads.SetEquals(declared))
            {
                declared = expressions.Reads;
                continue;
            }

            var w = new CpuCodeWriter();
            w.Open();
            w.Open("unchecked");
            if (iterator && statements.UsesWarpExchange)
            {
                w.Line("int __lane = linear & 31;");
                w.Line("int __bank = 0; // the warp exchange's bank, flipped after every collective");
            }
            if (IrWalker.Statements(kernel.Body).Any(s => s is IrHopper))
                w.Line("var __hopper = new global::RectifiedSpaAttn.Compute.Emulation.CpuWarpgroup(" + CpuNames.StringLiteral(kernel.EntryPoint) + ");");
            foreach (IrLocal local in declared.OrderBy(l => l.Id))
                w.Line(CpuNames.TypeName(local.Type) + " " + CpuNames.Local(local) + " = default;");
            foreach (string line in Lines(inner.ToString())) w.Line(line);
            // An iterator must yield somewhere to be one; "yield break" also ends a thread whose sync points were dead code.
            if (iterator && endReachable) w.Line("yield break;");
            w.Close();
            w.Close();
            return (w.ToString(), statements);
        }
    }

    private static IEnumerable<string> Lines(string text)
    {
        string[] lines = text.Split('\n');
        int count = lines.Length > 0 && lines[lines.Length - 1].Length == 0 ? lines.Length - 1 : lines.Length;
        for (int i = 0; i < count; i++) yield return lines[i];
    }

    /// <summary>Every local some statement writes (in case the kernel's list of locals misses one).</summary>
    private static IEnumerable<IrLocal> AssignedLocals(IrBlock body)
    {
        foreach (IrStmt s in IrWalker.Statements(body))
        {
            switch (s)
            {
                case IrAssign a: yield return a.Target; break;
                case IrShuffle sh: yield return sh.Target; break;
                case IrMma m: foreach (IrLocal d in m.D) yield return d; break;
                case IrLoadMatrix lm: foreach (IrLocal t in lm.Targets) yield return t; break;
                case IrAtomic { Target: { } t }: yield return t; break;
                case IrVectorLoad vl: foreach (IrLocal t in vl.Targets) yield return t; break;
                case IrHopper h: foreach (IrLocal t in h.Targets) yield return t; break;
            }
        }
    }

    /// <summary>The frame: arguments unpacked once per group (buffers as element-0 address, size in bytes, length).</summary>
    private static void EmitFrame(CpuCodeWriter w, IrKernel kernel, Names names)
    {
        w.Line("/// <summary>Arguments and launch geometry of one group of " + kernel.EntryPoint + ", unpacked once for all its threads.</summary>");
        w.Open("private struct " + names.Frame);
        foreach (IrParam p in kernel.Parameters)
        {
            if (p.Kind == IrParamKind.Buffer)
                w.Line("public nint B" + p.Index + "; public long B" + p.Index + "Bytes; public long L" + p.Index + "; // " + p.Name);
            else if (p.Kind == IrParamKind.TensorMap)
                w.Line("public nint T" + p.Index + "; // " + p.Name + " (tensor map)");
            else
                w.Line("public " + CpuNames.TypeName(p.Type) + " S" + p.Index + "; // " + p.Name);
        }
        if (kernel.StaticSharedBytes > 0) w.Line("public nint Smem;");
        w.Line("public nint Dyn; public long DynBytes;");
        w.Line("public int GridIdxX, GridIdxY, GridIdxZ, GridDimX, GridDimY, GridDimZ, GroupDimX, GroupDimY, GroupDimZ;");
        w.Close();
    }

    private static void EmitGroupFunction(CpuCodeWriter w, IrKernel kernel, Names names, bool synchronises)
    {
        w.Line("/// <summary>Runs one group of " + kernel.EntryPoint + " on the host (CPU backend).</summary>");
        w.Open("private static void " + names.Method + "(in " + Context + " context, global::System.ReadOnlySpan<" + Argument + "> args)");
        w.Open("unchecked");
        w.Line(names.Frame + " f = default;");
        foreach (IrParam p in kernel.Parameters)
        {
            string a = "args[" + p.Index + "]";
            if (p.Kind == IrParamKind.Buffer)
            {
                int size = IrTypes.SizeOf(p.Type);
                w.Line("f.B" + p.Index + " = " + a + ".Handle + (nint)(" + a + ".Offset * " + size + ");");
                w.Line("f.B" + p.Index + "Bytes = " + a + ".Length * " + size + ";");
                w.Line("f.L" + p.Index + " = " + a + ".Length;");
            }
            else if (p.Kind == IrParamKind.TensorMap)
            {
                w.Line("f.T" + p.Index + " = " + a + ".Handle;");
            }
            else
            {
                w.Line("f.S" + p.Index + " = " + ScalarArgument(p.Type, a) + ";");
            }
        }
        w.Line("f.Dyn = context.DynamicSharedMemory;");
        w.Line("f.DynBytes = context.DynamicSharedMemoryBytes;");
        w.Line("f.GridIdxX = context.GroupIndex.X; f.GridIdxY = context.GroupIndex.Y; f.GridIdxZ = context.GroupIndex.Z;");
        w.Line("f.GridDimX = context.GridDim.X; f.GridDimY = context.GridDim.Y; f.GridDimZ = context.GridDim.Z;");
        w.Line("f.GroupDimX = context.GroupDim.X; f.GroupDimY = context.GroupDim.Y; f.GroupDimZ = context.GroupDim.Z;");

        int shared = kernel.StaticSharedBytes;
        if (shared > 0)
        {
            w.Line("f.Smem = global::RectifiedSpaAttn.Compute.Emulation.CpuSharedMemory.Rent(" + shared + ");");
            w.Open("try");
        }
        if (synchronises)
        {
            w.Line("var scheduler = new global::RectifiedSpaAttn.Compute.Emulation.CpuGroupScheduler("
                + CpuNames.StringLiteral(kernel.EntryPoint) + ", " + names.Sites + ", f.GroupDimX * f.GroupDimY * f.GroupDimZ);");
        }
        w.Line("int linear = 0;");
        w.Open("for (int tz = 0; tz < f.GroupDimZ; tz++)");
        w.Open("for (int ty = 0; ty < f.GroupDimY; ty++)");
        w.Open("for (int tx = 0; tx < f.GroupDimX; tx++, linear++)");
        w.Line(synchronises
            ? "scheduler.Add(linear, " + names.Thread + "(f, tx, ty, tz, linear, scheduler.WarpOf(linear)));"
            : names.Thread + "(in f, tx, ty, tz, linear);");
        w.Close();
        w.Close();
        w.Close();
        if (synchronises) w.Line("scheduler.Run();");
        if (shared > 0)
        {
            w.Close();
            w.Open("finally");
            w.Line("global::RectifiedSpaAttn.Compute.Emulation.CpuSharedMemory.Return(f.Smem);");
            w.Close();
        }
        w.Close();
        w.Close();
    }

    private static string ScalarArgument(IrType type, string a) => type switch
    {
        IrType.Bool => a + ".AsBoolean()",
        IrType.U8 => "(byte)" + a + ".Bits",
        IrType.U16 => "(ushort)" + a + ".Bits",
        IrType.I32 => a + ".AsInt32()",
        IrType.U32 => a + ".AsUInt32()",
        IrType.I64 => a + ".AsInt64()",
        IrType.U64 => a + ".Bits",
        IrType.F16 => CpuNames.BitConverter + ".UInt16BitsToHalf((ushort)" + a + ".Bits)",
        IrType.BF16 => CpuNames.BFloat16 + ".FromBits((ushort)" + a + ".Bits)",
        IrType.F32 => a + ".AsSingle()",
        IrType.F64 => a + ".AsDouble()",
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, null),
    };

    private static void EmitSites(CpuCodeWriter w, Names names, List<(string Kind, string Description)> sites)
    {
        const string site = "global::RectifiedSpaAttn.Compute.Emulation.CpuSyncSite";
        const string kind = "global::RectifiedSpaAttn.Compute.Emulation.CpuSyncKind";
        w.Line("/// <summary>The synchronisation points the threads yield (by index).</summary>");
        w.Open("private static readonly " + site + "[] " + names.Sites + " =");
        foreach ((string siteKind, string description) in sites)
            w.Line("new " + site + "(" + kind + "." + siteKind + ", " + CpuNames.StringLiteral(description) + "),");
        w.Close("};");
    }

    private sealed class Names
    {
        public Names(string method)
        {
            Method = method;
            Frame = method + "_Frame";
            Thread = method + "_Thread";
            Sites = method + "_Sites";
        }

        public string Method { get; }
        public string Frame { get; }
        public string Thread { get; }
        public string Sites { get; }
    }
}
