using System;
using System.Globalization;
using System.Linq;
using RectifiedSpaAttn.Generators.Ir;

namespace RectifiedSpaAttn.Generators.Backends.Ptx;

/// <summary>
/// The Hopper instructions (sm_90a modules only): wgmma with shared-memory descriptors built from the operand's
/// shared address, mbarrier, the bulk tensor copy, proxy fences, setmaxnreg, elect.sync and stmatrix.
/// </summary>
internal sealed partial class PtxFunctionEmitter
{
    /// <summary>
    /// The constant bits of a K-major, 128-byte-swizzled wgmma descriptor: layout type 1 (bits 62-63), stride byte
    /// offset 1024 >> 4 (bits 32-45, between groups of 8 rows), leading byte offset 1 (bits 16-29, unused when swizzled).
    /// </summary>
    private const ulong DescriptorConstant = (1UL << 62) | (64UL << 32) | (1UL << 16);

    private void Hopper(IrHopper h)
    {
        if (!_kernel.RequiresHopper) throw new NotSupportedException($"PTX: {h.InstructionName} in a kernel not marked [RequiresHopper].");
        switch (h.Op)
        {
            case IrHopperOp.WgmmaFence: Op("wgmma.fence.sync.aligned"); break;
            case IrHopperOp.WgmmaCommit: Op("wgmma.commit_group.sync.aligned"); break;
            case IrHopperOp.WgmmaWait: Op("wgmma.wait_group.sync.aligned " + Imm(h.Immediate)); break;
            case IrHopperOp.WgmmaShared:
            case IrHopperOp.WgmmaRegisterA: Wgmma(h); break;
            case IrHopperOp.MbarrierInit:
                Op($"mbarrier.init.shared::cta.b64 {Address(h.Views[0], h.Args[0])}, {Eval(h.Args[1])}");
                break;
            case IrHopperOp.MbarrierArrive:
                Op($"mbarrier.arrive.shared::cta.b64 {Registers.New(IrType.U64)}, {Address(h.Views[0], h.Args[0])}");
                break;
            case IrHopperOp.MbarrierArriveExpectTx:
            {
                string bytes = Eval(h.Args[1]);
                Op($"mbarrier.arrive.expect_tx.shared::cta.b64 {Registers.New(IrType.U64)}, {Address(h.Views[0], h.Args[0])}, {bytes}");
                break;
            }
            case IrHopperOp.MbarrierWait:
            {
                string address = Address(h.Views[0], h.Args[0]);
                string parity = Reg(h.Args[1]);
                string done = Registers.New(IrType.Bool), again = NewLabel("mbarrier_wait");
                Label(again);
                Op($"mbarrier.try_wait.parity.shared::cta.b64 {done}, {address}, {parity}");
                Op($"@!{done} bra {again}");
                break;
            }
            case IrHopperOp.TensorLoad:
            {
                string destination = Address(h.Views[0], h.Args[0]);
                string barrier = Address(h.Views[1], h.Args[1]);
                string coordinates = string.Join(", ", h.Args.Skip(2).Select(Reg).ToArray());
                string map = Registers.New(IrType.U64);
                // The map is a kernel parameter (.param .align 64 .b8 [128]); the instruction takes its generic address.
                Op($"mov.u64 {map}, {_paramNames[h.TensorMap!]}");
                Op($"cvta.param.u64 {map}, {map}");
                Op($"cp.async.bulk.tensor.{h.Immediate}d.shared::cluster.global.tile.mbarrier::complete_tx::bytes {destination}, [{map}, {{{coordinates}}}], {barrier}");
                break;
            }
            case IrHopperOp.FenceProxyAsync: Op("fence.proxy.async.shared::cta"); break;
            case IrHopperOp.IncreaseRegisters: Op("setmaxnreg.inc.sync.aligned.u32 " + Imm(h.Immediate)); break;
            case IrHopperOp.DecreaseRegisters: Op("setmaxnreg.dec.sync.aligned.u32 " + Imm(h.Immediate)); break;
            case IrHopperOp.ElectOne:
                Op($"elect.sync {Registers.New(IrType.U32)}|{LocalRegister(h.Targets[0])}, -1");
                break;
            case IrHopperOp.StoreMatrixX4:
            {
                string regs = string.Join(", ", h.Args.Skip(1).Select(Reg).ToArray());
                Op($"stmatrix.sync.aligned.m8n8.x4.shared.b16 {Address(h.Views[0], h.Args[0])}, {{{regs}}}");
                break;
            }
            default: throw new NotSupportedException($"PTX: Hopper operation {h.Op}.");
        }
    }

    private void Wgmma(IrHopper h)
    {
        bool registerA = h.Op == IrHopperOp.WgmmaRegisterA;
        int n = h.Targets.Count * 2;
        string type = (h.Immediate & 1) == 1 ? "bf16" : "f16";
        int atomStride = h.Immediate & ~1023;
        string a = registerA
            ? "{" + string.Join(", ", h.Args.Skip(2).Select(Reg).ToArray()) + "}"
            : Descriptor(h.Views[0], h.Args[0], 0);
        string b = registerA ? Descriptor(h.Views[0], h.Args[0], atomStride) : Descriptor(h.Views[1], h.Args[1], atomStride);
        string scaleD = Reg(h.Args[registerA ? 1 : 2]);
        string d = string.Join(", ", h.Targets.Select(LocalRegister));
        // Immediates: scale A and B by 1; A K-major; B transposed when MN-major. The register-A form has no trans-a.
        string transB = atomStride == 0 ? "0" : "1";
        string tail = registerA ? "1, 1, " + transB : "1, 1, 0, " + transB;
        Op($"wgmma.mma_async.sync.aligned.m64n{n}k16.f32.{type}.{type} {{{d}}}, {a}, {b}, {scaleD}, {tail}");
    }

    /// <summary>
    /// A 64-bit wgmma descriptor of the 128-byte-swizzled operand starting at element <paramref name="index"/> of
    /// <paramref name="view"/>: K-major (<paramref name="atomStride"/> 0: leading byte offset unused), or MN-major with
    /// its 64-element atoms <paramref name="atomStride"/> bytes apart (the leading byte offset); 8-row groups 1024 B apart.
    /// </summary>
    /// <remarks>
    /// The low word holds the start address (bits 0-13, the address >> 4) and the leading byte offset; the high word is
    /// a constant. An operand at <c>[reg+imm]</c> with <c>imm</c> a multiple of 16 is built as the descriptor of
    /// <c>reg</c> plus <c>imm >> 4</c>: the unrolled products of a tile share <c>reg</c>, so ptxas builds that once and
    /// each product costs one add (built whole, each cost a shift, two masks and the moves to uniform registers: about
    /// 110 instructions a stage in the Hopper attention kernel). Exact while the address is a shared address (below
    /// 256 KiB, so the 14-bit field never carries into the offset above it).
    /// </remarks>
    private string Descriptor(IrView view, IrExpr index, int atomStride)
    {
        ulong constant = atomStride == 0 ? DescriptorConstant : (DescriptorConstant & ~(0x3FFFUL << 16)) | ((ulong)(atomStride >> 4) << 16);
        (string baseRegister, long imm) = SharedAddressParts(view, index);
        if (imm % 16 != 0)
        {
            string sum = Registers.New(IrType.U32);
            Op($"add.u32 {sum}, {baseRegister}, {imm.ToString(CultureInfo.InvariantCulture)}");
            (baseRegister, imm) = (sum, 0);
        }
        string low = Registers.New(IrType.U32);
        Op($"shr.u32 {low}, {baseRegister}, 4");
        Op($"and.b32 {low}, {low}, 16383");
        Op($"or.b32 {low}, {low}, {(uint)constant}");
        if (imm != 0)
        {
            string moved = Registers.New(IrType.U32);
            Op($"add.s32 {moved}, {low}, {(imm >> 4).ToString(CultureInfo.InvariantCulture)}");
            low = moved;
        }
        string high = Registers.New(IrType.U32), wide = Registers.New(IrType.U64);
        Op($"mov.b32 {high}, {(uint)(constant >> 32)}");
        Op($"mov.b64 {wide}, {{{low}, {high}}}");
        return wide;
    }

    /// <summary>The register and constant byte offset of an element's shared address (<c>[reg+imm]</c>).</summary>
    private (string Register, long Imm) SharedAddressParts(IrView view, IrExpr index)
    {
        if (view.Space != IrAddressSpace.Shared) throw new NotSupportedException("PTX: wgmma operands are in shared memory.");
        string operand = Address(view, index).Trim('[', ']');
        int plus = operand.IndexOf('+');
        if (plus < 0) return (operand, 0);
        return (operand.Substring(0, plus), long.Parse(operand.Substring(plus + 1), CultureInfo.InvariantCulture));
    }

    private static string Imm(int value) => value.ToString(CultureInfo.InvariantCulture);
}
