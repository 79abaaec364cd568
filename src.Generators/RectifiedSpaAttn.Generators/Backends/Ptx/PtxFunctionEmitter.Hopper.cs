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
    private string Descriptor(IrView view, IrExpr index, int atomStride)
    {
        ulong constant = atomStride == 0 ? DescriptorConstant : (DescriptorConstant & ~(0x3FFFUL << 16)) | ((ulong)(atomStride >> 4) << 16);
        string address = SharedAddressRegister(view, index);
        string wide = Registers.New(IrType.U64);
        Op($"cvt.u64.u32 {wide}, {address}");
        Op($"shr.u64 {wide}, {wide}, 4");
        Op($"and.b64 {wide}, {wide}, 16383");
        Op($"or.b64 {wide}, {wide}, {constant.ToString(CultureInfo.InvariantCulture)}");
        return wide;
    }

    /// <summary>The 32-bit shared address of an element in a register (the <c>[reg+imm]</c> operand folded).</summary>
    private string SharedAddressRegister(IrView view, IrExpr index)
    {
        if (view.Space != IrAddressSpace.Shared) throw new NotSupportedException("PTX: wgmma operands are in shared memory.");
        string operand = Address(view, index).Trim('[', ']');
        int plus = operand.IndexOf('+');
        if (plus < 0) return operand;
        string sum = Registers.New(IrType.U32);
        Op($"add.u32 {sum}, {operand.Substring(0, plus)}, {operand.Substring(plus + 1)}");
        return sum;
    }

    private static string Imm(int value) => value.ToString(CultureInfo.InvariantCulture);
}
