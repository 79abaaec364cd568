using System;
using System.Collections.Generic;
using System.Globalization;
using System.Text;
using RectifiedSpaAttn.Generators.Ir;

namespace RectifiedSpaAttn.Generators.Backends.Ptx;

/// <summary>
/// Writes the body of one PTX entry function. Values that only depend on the launch (parameters, buffer bases, special
/// registers, shared-memory base addresses) are read once, on first use, into a prologue that runs before the body, so
/// they dominate every later use whatever control flow the body has. This file holds the state, the prologue caches
/// and the statements; the partial files beside it lower expressions, conversions, math, memory and warp operations.
/// </summary>
internal sealed partial class PtxFunctionEmitter : IrStmtVisitor
{
    private readonly IrKernel _kernel;
    private readonly StringBuilder _prologue = new();
    private readonly StringBuilder _body = new();
    private readonly Dictionary<IrLocal, string> _locals = new();
    private readonly Dictionary<IrParam, string> _scalarParams = new();
    private readonly Dictionary<IrParam, string> _bufferBases = new();
    private readonly Dictionary<IrParam, string> _bufferLengths = new();
    private readonly Dictionary<IrSpecialKind, string> _specials = new();
    private readonly Dictionary<IrSharedAllocation, string> _sharedBases = new();
    private readonly Dictionary<IrParam, string> _paramNames = new();
    private readonly Stack<(string Step, string End)> _loops = new();
    private string? _dynamicSharedBase;
    private int _labels;

    public PtxFunctionEmitter(IrKernel kernel)
    {
        _kernel = kernel;
        AssignParameterNames();
        foreach (IrLocal l in kernel.Locals) LocalRegister(l);
    }

    public PtxRegisterFile Registers { get; } = new();

    /// <summary>Whether a view rooted in dynamic shared memory was seen (declared even if the kernel forgot to say so).</summary>
    public bool UsesDynamicShared => _dynamicSharedBase != null;

    /// <summary>Lowers the whole body; call once before <see cref="WriteCode"/>.</summary>
    public void EmitBody()
    {
        Block(_kernel.Body);
        Op("ret");
    }

    /// <summary>Appends the prologue then the body.</summary>
    public void WriteCode(StringBuilder sb) => sb.Append(_prologue).Append(_body);

    /// <summary>The <c>.param</c> declarations in launch order.</summary>
    public IEnumerable<string> ParameterDeclarations()
    {
        foreach (IrParam p in _kernel.Parameters)
        {
            string name = _paramNames[p];
            if (p.Kind == IrParamKind.Buffer)
            {
                yield return ".param .u64 " + name + "_ptr";
                yield return ".param .u64 " + name + "_len";
            }
            else if (p.Kind == IrParamKind.TensorMap)
            {
                // A CUtensorMap by value (CUDA's __grid_constant__ parameter).
                yield return ".param .align 64 .b8 " + name + "[128]";
            }
            else
            {
                yield return ".param ." + PtxTypes.Param(p.Type) + " " + name;
            }
        }
    }

    // ------------------------------------------------------------------ text helpers

    /// <summary>Appends one instruction (without the trailing semicolon) to the body.</summary>
    private void Op(string instruction) => _body.Append('\t').Append(instruction).Append(";\n");

    private void Label(string label) => _body.Append(label).Append(":\n");

    private void PrologueOp(string instruction) => _prologue.Append('\t').Append(instruction).Append(";\n");

    private string NewLabel(string what) => "$L_" + (_labels++).ToString(CultureInfo.InvariantCulture) + "_" + what;

    private static bool IsRegister(string operand) => operand.Length > 0 && operand[0] == '%';

    // ------------------------------------------------------------------ names and prologue caches

    /// <summary>
    /// PTX names for the parameters: the C# name restricted to [A-Za-z0-9_], made unique, and kept clear of the
    /// module's own symbols (smemN, dyn_smem) that an in-function parameter name would shadow.
    /// </summary>
    private void AssignParameterNames()
    {
        var used = new HashSet<string>(StringComparer.Ordinal) { "dyn_smem" };
        foreach (IrSharedAllocation a in _kernel.SharedAllocations) used.Add(a.Name);
        foreach (IrParam p in _kernel.Parameters)
        {
            var sb = new StringBuilder();
            foreach (char ch in p.Name)
                sb.Append(ch is >= 'a' and <= 'z' or >= 'A' and <= 'Z' or >= '0' and <= '9' or '_' ? ch : '_');
            string baseName = sb.Length == 0 || char.IsDigit(sb[0]) ? "p_" + sb : sb.ToString();
            string name = baseName;
            for (int n = 1; !IsFreeParamName(used, name, p.Kind); n++) name = baseName + "_" + n.ToString(CultureInfo.InvariantCulture);
            used.Add(name);
            if (p.Kind == IrParamKind.Buffer) { used.Add(name + "_ptr"); used.Add(name + "_len"); }
            _paramNames[p] = name;
        }
    }

    private static bool IsFreeParamName(HashSet<string> used, string name, IrParamKind kind)
        => kind == IrParamKind.Buffer
            ? !used.Contains(name) && !used.Contains(name + "_ptr") && !used.Contains(name + "_len")
            : !used.Contains(name);

    /// <summary>The register of <paramref name="local"/> (one per local for the whole kernel).</summary>
    private string LocalRegister(IrLocal local)
    {
        if (!_locals.TryGetValue(local, out string? reg))
        {
            reg = Registers.New(local.Type);
            _locals[local] = reg;
        }
        return reg;
    }

    private string ScalarParam(IrParam p)
    {
        if (p.Kind != IrParamKind.Scalar) throw new NotSupportedException($"PTX: buffer parameter '{p.Name}' used as a scalar value.");
        if (_scalarParams.TryGetValue(p, out string? reg)) return reg;
        string name = _paramNames[p];
        if (p.Type == IrType.Bool)
        {
            // The contract passes bool as 32 bits; any non-zero value is true.
            string raw = Registers.New(IrType.U32);
            reg = Registers.New(IrType.Bool);
            PrologueOp($"ld.param.u32 {raw}, [{name}]");
            PrologueOp($"setp.ne.u32 {reg}, {raw}, 0");
        }
        else
        {
            reg = Registers.New(p.Type);
            PrologueOp($"ld.param.{PtxTypes.Param(p.Type)} {reg}, [{name}]");
        }
        _scalarParams[p] = reg;
        return reg;
    }

    /// <summary>The global-window address of a buffer's element 0 (converted from generic once, at entry).</summary>
    private string BufferBase(IrParam p)
    {
        if (_bufferBases.TryGetValue(p, out string? reg)) return reg;
        string raw = Registers.New(IrType.U64);
        reg = Registers.New(IrType.U64);
        PrologueOp($"ld.param.u64 {raw}, [{_paramNames[p]}_ptr]");
        PrologueOp($"cvta.to.global.u64 {reg}, {raw}");
        _bufferBases[p] = reg;
        return reg;
    }

    private string BufferLength(IrParam p)
    {
        if (p.Kind != IrParamKind.Buffer) throw new NotSupportedException($"PTX: scalar parameter '{p.Name}' has no buffer length.");
        if (_bufferLengths.TryGetValue(p, out string? reg)) return reg;
        reg = Registers.New(IrType.I64);
        PrologueOp($"ld.param.u64 {reg}, [{_paramNames[p]}_len]");
        _bufferLengths[p] = reg;
        return reg;
    }

    /// <summary>The 32-bit shared-window address of a shared root's first byte.</summary>
    private string SharedBase(IrViewRoot root)
    {
        switch (root)
        {
            case IrSharedAllocation a:
                if (!_sharedBases.TryGetValue(a, out string? reg))
                {
                    reg = Registers.New(IrType.U32);
                    PrologueOp($"mov.u32 {reg}, {a.Name}");
                    _sharedBases[a] = reg;
                }
                return reg;
            case IrDynamicSharedRoot:
                if (_dynamicSharedBase == null)
                {
                    _dynamicSharedBase = Registers.New(IrType.U32);
                    PrologueOp($"mov.u32 {_dynamicSharedBase}, dyn_smem");
                }
                return _dynamicSharedBase;
            default:
                throw new NotSupportedException($"PTX: {root.GetType().Name} is not a shared-memory root.");
        }
    }

    private string Special(IrSpecialKind kind)
    {
        if (_specials.TryGetValue(kind, out string? reg)) return reg;
        switch (kind)
        {
            case IrSpecialKind.GroupLinearIdx:
            {
                // tid.x + ntid.x * (tid.y + ntid.y * tid.z)
                string inner = Registers.New(IrType.I32);
                reg = Registers.New(IrType.I32);
                string tz = Special(IrSpecialKind.GroupIdxZ), ty = Special(IrSpecialKind.GroupIdxY), tx = Special(IrSpecialKind.GroupIdxX);
                string ny = Special(IrSpecialKind.GroupDimY), nx = Special(IrSpecialKind.GroupDimX);
                PrologueOp($"mad.lo.s32 {inner}, {ny}, {tz}, {ty}");
                PrologueOp($"mad.lo.s32 {reg}, {nx}, {inner}, {tx}");
                break;
            }
            case IrSpecialKind.WarpIdx:
            {
                string linear = Special(IrSpecialKind.GroupLinearIdx);
                reg = Registers.New(IrType.I32);
                PrologueOp($"shr.u32 {reg}, {linear}, 5");
                break;
            }
            default:
                reg = Registers.New(IrType.I32);
                PrologueOp($"mov.u32 {reg}, {SpecialRegister(kind)}");
                break;
        }
        _specials[kind] = reg;
        return reg;
    }

    /// <summary>
    /// The hardware register behind a special index. %laneid equals GroupLinearIdx % 32 because CUDA forms warps from
    /// consecutive linear thread indices, x fastest.
    /// </summary>
    private static string SpecialRegister(IrSpecialKind kind) => kind switch
    {
        IrSpecialKind.GridIdxX => "%ctaid.x", IrSpecialKind.GridIdxY => "%ctaid.y", IrSpecialKind.GridIdxZ => "%ctaid.z",
        IrSpecialKind.GridDimX => "%nctaid.x", IrSpecialKind.GridDimY => "%nctaid.y", IrSpecialKind.GridDimZ => "%nctaid.z",
        IrSpecialKind.GroupIdxX => "%tid.x", IrSpecialKind.GroupIdxY => "%tid.y", IrSpecialKind.GroupIdxZ => "%tid.z",
        IrSpecialKind.GroupDimX => "%ntid.x", IrSpecialKind.GroupDimY => "%ntid.y", IrSpecialKind.GroupDimZ => "%ntid.z",
        IrSpecialKind.LaneIdx => "%laneid",
        _ => throw new NotSupportedException($"PTX: no special register for {kind}."),
    };

    // ------------------------------------------------------------------ statements

    private void Block(IrBlock block)
    {
        foreach (IrStmt s in block.Statements) Visit(s);
    }

    // One method per statement kind (IrStmtVisitor): a kind this backend misses does not build.
    internal override void VisitBlock(IrBlock s) => Block(s);
    internal override void VisitAssign(IrAssign s) => Assign(s);
    internal override void VisitStore(IrStore s) => Store(s);
    internal override void VisitIf(IrIf s) => If(s);
    internal override void VisitLoop(IrLoop s) => Loop(s);

    internal override void VisitBreak(IrBreak s)
    {
        if (_loops.Count == 0) throw new NotSupportedException("PTX: break outside a loop.");
        Op("bra " + _loops.Peek().End);
    }

    internal override void VisitContinue(IrContinue s)
    {
        if (_loops.Count == 0) throw new NotSupportedException("PTX: continue outside a loop.");
        Op("bra " + _loops.Peek().Step);
    }

    internal override void VisitReturn(IrReturn s) => Op("ret");
    internal override void VisitBarrier(IrBarrier s) => Op("bar.sync 0");
    internal override void VisitWarpBarrier(IrWarpBarrier s) => Op("bar.warp.sync -1");
    internal override void VisitShuffle(IrShuffle s) => Shuffle(s);
    internal override void VisitMma(IrMma s) => Mma(s);
    internal override void VisitLoadMatrix(IrLoadMatrix s) => LoadMatrix(s);
    internal override void VisitAtomic(IrAtomic s) => Atomic(s);
    internal override void VisitVectorLoad(IrVectorLoad s) => VectorLoad(s);
    internal override void VisitVectorStore(IrVectorStore s) => VectorStore(s);
    internal override void VisitAsyncCopy(IrAsyncCopy s) => AsyncCopy(s);
    internal override void VisitAsyncCommit(IrAsyncCommit s) => Op("cp.async.commit_group");
    internal override void VisitHopper(IrHopper s) => Hopper(s);
    // bar.sync / bar.arrive take the barrier and the count as immediates or registers alike (ptxas 11.8 and 12.4).
    internal override void VisitNamedBarrier(IrNamedBarrier s)
        => Op((s.Kind == IrNamedBarrierKind.Sync ? "bar.sync " : "bar.arrive ") + Eval(s.Id) + ", " + Eval(s.Threads));
    internal override void VisitAsyncWait(IrAsyncWait s) => Op("cp.async.wait_group " + s.Pending.ToString(CultureInfo.InvariantCulture));

    private void Assign(IrAssign a)
    {
        if (a.Value.Type != a.Target.Type)
            throw new NotSupportedException($"PTX: assignment of {a.Value.Type} to local '{a.Target}' of type {a.Target.Type}.");
        string target = LocalRegister(a.Target);
        string value = Eval(a.Value);
        if (value != target) Op($"mov.{PtxTypes.Bits(a.Target.Type)} {target}, {value}");
    }

    private void If(IrIf i)
    {
        if (i.Condition is IrConst c)
        {
            Block(c.IsTrue ? i.Then : i.Else);
            return;
        }
        string p = Reg(i.Condition);
        string end = NewLabel("endif");
        if (i.Else.Statements.Count == 0)
        {
            Op($"@!{p} bra {end}");
            Block(i.Then);
        }
        else if (i.Then.Statements.Count == 0)
        {
            Op($"@{p} bra {end}");
            Block(i.Else);
        }
        else
        {
            string otherwise = NewLabel("else");
            Op($"@!{p} bra {otherwise}");
            Block(i.Then);
            Op($"bra {end}");
            Label(otherwise);
            Block(i.Else);
        }
        Label(end);
    }

    /// <summary>
    /// <c>while (cond) { body; step; }</c> in rotated form: the condition is tested once on entry and then at the
    /// bottom, so each iteration takes one conditional branch instead of a test at the top plus a jump back. The
    /// condition is evaluated exactly as often as in the top-tested form (it is pure, and a faulting load in it
    /// faults on the same iteration).
    /// </summary>
    private void Loop(IrLoop l)
    {
        if (l.Condition is IrConst c && !c.IsTrue) return;
        bool tested = l.Condition is not null && l.Condition is not IrConst;
        string body = NewLabel("loop"), step = NewLabel("step"), end = NewLabel("endloop");
        if (tested) Op($"@!{Reg(l.Condition!)} bra {end}");
        Label(body);
        _loops.Push((step, end));
        Block(l.Body);
        _loops.Pop();
        Label(step);
        Block(l.Step);
        if (tested) Op($"@{Reg(l.Condition!)} bra {body}");
        else Op($"bra {body}");
        Label(end);
    }
}
