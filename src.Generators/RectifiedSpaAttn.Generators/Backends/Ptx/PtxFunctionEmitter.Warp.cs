using System;
using System.Linq;
using RectifiedSpaAttn.Generators.Ir;

namespace RectifiedSpaAttn.Generators.Backends.Ptx;

/// <summary>Warp collectives: shuffles and tensor-core mma, executed by all 32 lanes (full member mask).</summary>
internal sealed partial class PtxFunctionEmitter
{
    private void Shuffle(IrShuffle s)
    {
        if (PtxRegisterFile.ClassOf(s.Value.Type) is not (PtxRegisterClass.B32 or PtxRegisterClass.F32) || s.Target.Type != s.Value.Type)
            throw new NotSupportedException($"PTX: shuffle of {s.Value.Type} into {s.Target.Type} (I32, U32 or F32 only).");
        string mode = s.Kind switch
        {
            IrShuffleKind.Idx => "idx",
            IrShuffleKind.Xor => "bfly",
            _ => "down",
        };
        string value = Reg(s.Value);
        string lane = Eval(s.Lane);
        // c = 0x1f: no sub-warp segments, highest lane 31. idx reads lane (b & 31); bfly and down keep the own value
        // when the source lane is past 31. The .b32 form moves f32 registers too.
        Op($"shfl.sync.{mode}.b32 {LocalRegister(s.Target)}, {value}, {lane}, 31, -1");
    }

    private void Mma(IrMma m)
    {
        if (m.D.Count != 4 || m.A.Count != 4 || m.B.Count != 2 || m.C.Count != 4)
            throw new NotSupportedException($"PTX: mma.m16n8k16 needs 4 D, 4 A, 2 B and 4 C operands (got {m.D.Count}, {m.A.Count}, {m.B.Count}, {m.C.Count}).");
        string type = m.Kind == IrMmaKind.BF16 ? "bf16" : "f16";
        // Operands are read before D is written, so D may be the same locals as C (accumulation in place).
        string a = string.Join(", ", m.A.Select(Reg).ToArray());
        string b = string.Join(", ", m.B.Select(Reg).ToArray());
        string c = string.Join(", ", m.C.Select(Reg).ToArray());
        string d = string.Join(", ", m.D.Select(LocalRegister));
        Op($"mma.sync.aligned.m16n8k16.row.col.f32.{type}.{type}.f32 {{{d}}}, {{{a}}}, {{{b}}}, {{{c}}}");
    }
}
