using System;
using System.Globalization;
using System.Linq;
using RectifiedSpaAttn.Generators.Ir;

namespace RectifiedSpaAttn.Generators.Backends.Ptx;

/// <summary>
/// Addresses and memory access. Global addresses are 64-bit: the buffer's global-window base plus the view's byte
/// offset plus index*size, in one <c>mad.wide</c> for a 32-bit index. Shared addresses are 32-bit offsets in the
/// shared window. Constant parts are folded into the <c>[reg+imm]</c> form.
/// </summary>
internal sealed partial class PtxFunctionEmitter
{
    private static string SpaceName(IrView view) => view.Space == IrAddressSpace.Global ? "global" : "shared";

    /// <summary>The address operand (<c>[reg]</c> or <c>[reg+imm]</c>) of element <paramref name="index"/> of <paramref name="view"/>.</summary>
    private string Address(IrView view, IrExpr index)
    {
        int size = IrTypes.SizeOf(view.ElementType);
        return view.Space == IrAddressSpace.Global ? GlobalAddress(view, index, size) : SharedAddress(view, index, size);
    }

    private string GlobalAddress(IrView view, IrExpr index, int size)
    {
        if (view.Root is not IrBufferRoot root) throw new NotSupportedException($"PTX: global view rooted in {view.Root.GetType().Name}.");
        string baseReg = BufferBase(root.Param);
        long imm = 0;

        if (view.ByteOffset is IrConst oc) imm += oc.Bits;
        else
        {
            string off = ToInt64(view.ByteOffset);
            string t = Registers.New(IrType.U64);
            Op($"add.s64 {t}, {baseReg}, {off}");
            baseReg = t;
        }

        (IrExpr narrow, long constant) = SplitIndex(index);
        imm += constant * size;
        if (narrow is IrConst ic) imm += ConstValue(ic) * size;
        else
        {
            string t = Registers.New(IrType.U64);
            switch (narrow.Type)
            {
                case IrType.I32:
                case IrType.U32:
                    // (s64)i * size + base in one instruction; the unsigned form zero-extends.
                    Op($"mad.wide.{(narrow.Type == IrType.I32 ? "s32" : "u32")} {t}, {Reg(narrow)}, {size}, {baseReg}");
                    break;
                case IrType.I64:
                case IrType.U64:
                    Op(size == 1 ? $"add.s64 {t}, {baseReg}, {Reg(narrow)}" : $"mad.lo.s64 {t}, {Reg(narrow)}, {size}, {baseReg}");
                    break;
                default:
                    Op($"mad.wide.u32 {t}, {Convert(IrType.U32, narrow.Type, Reg(narrow))}, {size}, {baseReg}");
                    break;
            }
            baseReg = t;
        }

        if (imm is < int.MinValue or > int.MaxValue)
        {
            string t = Registers.New(IrType.U64);
            Op($"add.s64 {t}, {baseReg}, {imm.ToString(CultureInfo.InvariantCulture)}");
            return Bracket(t, 0);
        }
        return Bracket(baseReg, imm);
    }

    private string SharedAddress(IrView view, IrExpr index, int size)
    {
        string baseReg = SharedBase(view.Root);
        long imm = 0;

        // Shared addresses fit in 32 bits: only the low halves of the 64-bit offset and index matter.
        if (view.ByteOffset is IrConst oc) imm += oc.Bits;
        else
        {
            string t = Registers.New(IrType.U32);
            Op($"add.s32 {t}, {baseReg}, {ToInt32Bits(view.ByteOffset)}");
            baseReg = t;
        }

        (IrExpr narrow, long constant) = SplitIndex(index);
        imm += constant * size;
        if (narrow is IrConst ic) imm += ConstValue(ic) * size;
        else
        {
            string idx = ToInt32Bits(narrow);
            string t = Registers.New(IrType.U32);
            Op(size == 1 ? $"add.s32 {t}, {baseReg}, {idx}" : $"mad.lo.s32 {t}, {idx}, {size}, {baseReg}");
            baseReg = t;
        }
        return Bracket(baseReg, (int)imm);
    }

    private static string Bracket(string reg, long imm)
        => imm == 0 ? $"[{reg}]" : $"[{reg}+{imm.ToString(CultureInfo.InvariantCulture)}]";

    /// <summary>The value of an integer constant as its type reads it (U32 zero-extended, I32 sign-extended).</summary>
    private static long ConstValue(IrConst c) => c.Type switch
    {
        IrType.I32 => (int)c.Bits,
        IrType.U32 => (uint)c.Bits,
        IrType.U16 => (ushort)c.Bits,
        IrType.U8 => (byte)c.Bits,
        IrType.I64 or IrType.U64 => c.Bits,
        _ => throw new NotSupportedException($"PTX: {c.Type} constant used as an index."),
    };

    /// <summary>
    /// An index widened from 32 bits (<c>(long)i</c>, the usual shape of <c>view[i]</c>) is used at its 32-bit source,
    /// so the widening folds into <c>mad.wide</c>.
    /// </summary>
    private static IrExpr StripWidening(IrExpr index)
        => index is IrConvert { Type: IrType.I64 or IrType.U64 } c && c.Operand.Type is IrType.I32 or IrType.U32 ? c.Operand : index;

    /// <summary>
    /// Splits <c>i + c</c> / <c>i - c</c> (signed index, after <see cref="StripWidening"/>) into the variable part and
    /// the constant, which goes into the address's immediate: unrolled code indexing <c>t + 1</c>, <c>t + 2</c>, ...
    /// then shares one address register. The results differ only when the signed index arithmetic overflows, where
    /// the access is out of bounds either way.
    /// </summary>
    private static (IrExpr Index, long Constant) SplitIndex(IrExpr index)
    {
        IrExpr e = StripWidening(index);
        long k = 0;
        while (e.Type is IrType.I32 or IrType.I64 && e is IrBinary b)
        {
            if (b.Op == IrBinaryOp.Add && b.Right is IrConst r) { k += ConstValue(r); e = b.Left; }
            else if (b.Op == IrBinaryOp.Add && b.Left is IrConst l) { k += ConstValue(l); e = b.Right; }
            else if (b.Op == IrBinaryOp.Sub && b.Right is IrConst s) { k -= ConstValue(s); e = b.Left; }
            else break;
            e = StripWidening(e);
        }
        return (e, k);
    }


    private string ToInt64(IrExpr e)
        => e.Type is IrType.I64 or IrType.U64 ? Reg(e) : Convert(IrType.I64, e.Type, Reg(e));

    /// <summary>The low 32 bits of an integer expression, in a register.</summary>
    private string ToInt32Bits(IrExpr e) => e.Type switch
    {
        IrType.I32 or IrType.U32 => Reg(e),
        _ => Convert(IrType.U32, e.Type, Reg(e)),
    };

    private string Load(IrLoad l)
    {
        string addr = Address(l.View, l.Index), space = SpaceName(l.View);
        IrType t = l.Type;
        if (t == IrType.Bool)
        {
            // A bool is one byte in memory; any non-zero byte is true.
            string b = Registers.New(IrType.U8), p = Registers.New(IrType.Bool);
            Op($"ld.{space}.u8 {b}, {addr}");
            Op($"setp.ne.u16 {p}, {b}, 0");
            return p;
        }
        string d = Registers.New(t);
        Op($"ld.{space}.{PtxTypes.Memory(t)} {d}, {addr}");
        return d;
    }

    private void Store(IrStore s)
    {
        IrType t = s.View.ElementType;
        if (s.Value.Type != t) throw new NotSupportedException($"PTX: store of {s.Value.Type} into a view of {t}.");
        string value = Reg(s.Value);
        if (t == IrType.Bool)
        {
            string b = Registers.New(IrType.U8);
            Op($"selp.u16 {b}, 1, 0, {value}");
            value = b;
        }
        string addr = Address(s.View, s.Index);
        Op($"st.{SpaceName(s.View)}.{PtxTypes.Memory(t)} {addr}, {value}");
    }

    private void Atomic(IrAtomic a)
    {
        IrType t = a.View.ElementType;
        if (a.Value.Type != t) throw new NotSupportedException($"PTX: atomic {a.Op} of {a.Value.Type} on a view of {t}.");
        (string op, string type) = (a.Op, t) switch
        {
            (IrAtomicOp.Add, IrType.I32) => ("add", "s32"),
            (IrAtomicOp.Add, IrType.U32) => ("add", "u32"),
            (IrAtomicOp.Add, IrType.F32) => ("add", "f32"),
            (IrAtomicOp.Add, IrType.I64 or IrType.U64) => ("add", "u64"), // two's complement: one adder for both
            (IrAtomicOp.Add, IrType.F64) => ("add", "f64"),
            (IrAtomicOp.Max, IrType.I32) => ("max", "s32"),
            (IrAtomicOp.Max, IrType.U32) => ("max", "u32"),
            (IrAtomicOp.Max, IrType.I64) => ("max", "s64"),
            (IrAtomicOp.Max, IrType.U64) => ("max", "u64"),
            (IrAtomicOp.Exchange, IrType.I32 or IrType.U32 or IrType.F32) => ("exch", "b32"),
            (IrAtomicOp.CompareExchange, IrType.I32 or IrType.U32 or IrType.F32) => ("cas", "b32"),
            (IrAtomicOp.CompareExchange, IrType.I64 or IrType.U64 or IrType.F64) => ("cas", "b64"),
            _ => throw new NotSupportedException($"PTX: atomic {a.Op} on {t} is not supported."),
        };
        string value = Reg(a.Value);
        string? comparand = null;
        if (a.Op == IrAtomicOp.CompareExchange)
        {
            if (a.Comparand is null) throw new NotSupportedException("PTX: compare-exchange without a comparand.");
            comparand = Reg(a.Comparand);
        }
        string addr = Address(a.View, a.Index), space = SpaceName(a.View);

        if (a.Target is null && comparand is null && a.Op != IrAtomicOp.Exchange)
        {
            // No one reads the old value: the reduction form does not wait for it (red has no exch).
            Op($"red.{space}.{op}.{type} {addr}, {value}");
            return;
        }
        string d = a.Target is null ? Registers.New(t) : LocalRegister(a.Target);
        Op(comparand is null
            ? $"atom.{space}.{op}.{type} {d}, {addr}, {value}"
            : $"atom.{space}.cas.{type} {d}, {addr}, {comparand}, {value}");
    }

    private void VectorLoad(IrVectorLoad v)
    {
        if (v.Targets.Count != 4) throw new NotSupportedException($"PTX: vector load into {v.Targets.Count} locals (needs 4).");
        string addr = Address(v.View, v.Index);
        string regs = string.Join(", ", v.Targets.Select(LocalRegister));
        Op($"ld.{SpaceName(v.View)}.v4.{Vector32(v.Targets.Select(x => x.Type))} {{{regs}}}, {addr}");
    }

    private void VectorStore(IrVectorStore v)
    {
        if (v.Values.Count != 4) throw new NotSupportedException($"PTX: vector store of {v.Values.Count} values (needs 4).");
        string regs = string.Join(", ", v.Values.Select(Reg).ToArray());
        string addr = Address(v.View, v.Index);
        Op($"st.{SpaceName(v.View)}.v4.{Vector32(v.Values.Select(x => x.Type))} {addr}, {{{regs}}}");
    }

    /// <summary>u32 for the IR's U32 words; b32 when some element is another 32-bit type (b32 accepts any 32-bit register).</summary>
    private static string Vector32(System.Collections.Generic.IEnumerable<IrType> types)
    {
        bool allU32 = true;
        foreach (IrType t in types)
        {
            if (IrTypes.SizeOf(t) != 4 || t == IrType.Bool) throw new NotSupportedException($"PTX: 16-byte vector access of {t} elements.");
            allU32 &= t == IrType.U32;
        }
        return allU32 ? "u32" : "b32";
    }

    private void AsyncCopy(IrAsyncCopy c)
    {
        if (c.Destination.Space != IrAddressSpace.Shared || c.Source.Space != IrAddressSpace.Global)
            throw new NotSupportedException("PTX: cp.async copies from global to shared memory only.");
        string dst = Address(c.Destination, c.DestinationIndex);
        string src = Address(c.Source, c.SourceIndex);
        // .cg: 16-byte copies bypass L1 (the data is staged in shared memory anyway).
        Op($"cp.async.cg.shared.global {dst}, {src}, 16");
    }

    private void LoadMatrix(IrLoadMatrix m)
    {
        int n = m.Targets.Count;
        if (n is not (1 or 2 or 4)) throw new NotSupportedException($"PTX: ldmatrix into {n} registers (needs 1, 2 or 4).");
        if (m.View.Space != IrAddressSpace.Shared) throw new NotSupportedException("PTX: ldmatrix reads shared memory only.");
        string addr = Address(m.View, m.RowIndex);
        string regs = string.Join(", ", m.Targets.Select(LocalRegister));
        Op($"ldmatrix.sync.aligned.m8n8.x{n}{(m.Transposed ? ".trans" : "")}.shared.b16 {{{regs}}}, {addr}");
    }
}
