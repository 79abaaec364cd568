using RectifiedSpaAttn.Generators.Ir;
using static RectifiedSpaAttn.Generators.Tests.Ptx.PtxTestSupport;

namespace RectifiedSpaAttn.Generators.Tests.Ptx;

/// <summary>A one-warp 16x8x16 tile: cp.async to dynamic shared memory, ldmatrix, mma (bf16 and f16).</summary>
public class PtxTensorCoreTests(ITestOutputHelper output)
{
    /// <summary>
    /// D[16x8] = A[16x16] (row-major) * B[16x8] (k-major, rows of 8) with one warp. A is staged at byte 0 and B at byte
    /// 512 of dynamic shared memory by cp.async; A's fragments come from ldmatrix.x4 (lane l gives row l%16, column
    /// 8*(l/16)), B's from ldmatrix.x2.trans (lane l&lt;16 gives k-row l). D is written per the mma accumulator layout.
    /// </summary>
    internal static IrKernel MmaTileWithLdmatrixAndAsyncCopyKernel(IrMmaKind kind)
    {
        IrType elem = kind == IrMmaKind.BF16 ? IrType.BF16 : IrType.F16;
        var k = new IrBuilder();
        IrParam a = k.Buffer("a", elem), b = k.Buffer("b", elem), d = k.Buffer("d", IrType.F32), extra = k.Buffer("extra", IrType.U32);
        IrView av = X.View(a), bv = X.View(b), dv = X.View(d), xv = X.View(extra);
        IrView sa = k.DynamicShared(elem, 0, 256), sb = k.DynamicShared(elem, 512, 128);
        IrLocal lane = k.Local("lane", IrType.I32);
        IrLocal[] fa = Enumerable.Range(0, 4).Select(n => k.Local("a" + n, IrType.U32)).ToArray();
        IrLocal[] fb = Enumerable.Range(0, 2).Select(n => k.Local("b" + n, IrType.U32)).ToArray();
        IrLocal[] acc = Enumerable.Range(0, 4).Select(n => k.Local("c" + n, IrType.F32)).ToArray();
        IrLocal x1 = k.Local("x1", IrType.U32);

        k.Assign(lane, X.S(IrSpecialKind.LaneIdx));
        // 32 lanes x 16 bytes = A; lanes 0-15 x 16 bytes = B.
        k.Add(new IrAsyncCopy(sa, X.Mul(X.Ref(lane), X.I32(8)), av, X.Wide(X.Mul(X.Ref(lane), X.I32(8)))));
        k.If(X.Lt(X.Ref(lane), X.I32(16)), () =>
            k.Add(new IrAsyncCopy(sb, X.Mul(X.Ref(lane), X.I32(8)), bv, X.Wide(X.Mul(X.Ref(lane), X.I32(8))))));
        k.Add(IrAsyncCommit.Instance);
        k.Add(new IrAsyncWait(0));
        k.Add(IrBarrier.Instance);

        IrExpr aRow = X.Add(X.Mul(X.Rem(X.Ref(lane), X.I32(16)), X.I32(16)), X.Mul(X.Div(X.Ref(lane), X.I32(16)), X.I32(8)));
        k.Add(new IrLoadMatrix(fa, false, sa, aRow));
        k.Add(new IrLoadMatrix(fb, true, sb, X.Mul(X.Rem(X.Ref(lane), X.I32(16)), X.I32(8))));
        k.Add(new IrLoadMatrix([x1], false, sa, X.Mul(X.Rem(X.Ref(lane), X.I32(8)), X.I32(16))));
        foreach (IrLocal c in acc) k.Assign(c, X.F32(0));
        k.Add(new IrMma(kind, acc, fa.Select(l => (IrExpr)X.Ref(l)).ToArray(), fb.Select(l => (IrExpr)X.Ref(l)).ToArray(),
            acc.Select(l => (IrExpr)X.Ref(l)).ToArray()));

        // d0,d1 -> row lane/4, cols 2*(lane%4) + {0,1}; d2,d3 -> row lane/4 + 8.
        IrExpr row = X.Div(X.Ref(lane), X.I32(4)), col = X.Mul(X.Rem(X.Ref(lane), X.I32(4)), X.I32(2));
        IrExpr at(IrExpr r, int dc) => X.Wide(X.Add(X.Mul(r, X.I32(8)), X.Add(col, X.I32(dc))));
        k.Store(dv, at(row, 0), X.Ref(acc[0]));
        k.Store(dv, at(row, 1), X.Ref(acc[1]));
        k.Store(dv, at(X.Add(row, X.I32(8)), 0), X.Ref(acc[2]));
        k.Store(dv, at(X.Add(row, X.I32(8)), 1), X.Ref(acc[3]));
        k.Store(xv, X.Wide(X.Ref(lane)), X.Ref(x1));
        return k.Build("mma_tile_" + kind.ToString().ToLowerInvariant());
    }

    [Theory]
    [InlineData(IrMmaKind.BF16)]
    [InlineData(IrMmaKind.F16)]
    public void MmaTileWithLdmatrixAndAsyncCopy(IrMmaKind kind)
    {
        string ptx = Compile(MmaTileWithLdmatrixAndAsyncCopyKernel(kind), output);

        string t = kind == IrMmaKind.BF16 ? "bf16" : "f16";
        Assert.Contains(".extern .shared .align 16 .b8 dyn_smem[];", ptx);
        AssertInstruction(ptx, $@"mov\.u32 {R}, dyn_smem");
        AssertInstruction(ptx, $@"cp\.async\.cg\.shared\.global \[{R}\], \[{RD}\], 16");
        AssertInstruction(ptx, $@"cp\.async\.cg\.shared\.global \[{R}\+512\], \[{RD}\], 16"); // B's byte offset folded
        AssertInstruction(ptx, "cp.async.commit_group");
        AssertInstruction(ptx, "cp.async.wait_group 0");
        AssertInstruction(ptx, $@"ldmatrix\.sync\.aligned\.m8n8\.x4\.shared\.b16 \{{{R}, {R}, {R}, {R}\}}, \[{R}\]");
        AssertInstruction(ptx, $@"ldmatrix\.sync\.aligned\.m8n8\.x2\.trans\.shared\.b16 \{{{R}, {R}\}}, \[{R}\+512\]");
        AssertInstruction(ptx, $@"ldmatrix\.sync\.aligned\.m8n8\.x1\.shared\.b16 \{{{R}\}}, \[{R}\]");
        // D and C are the same accumulator registers, in the same order.
        System.Text.RegularExpressions.Match mma = AssertInstruction(ptx,
            $@"mma\.sync\.aligned\.m16n8k16\.row\.col\.f32\.{t}\.{t}\.f32 \{{({F}, {F}, {F}, {F})\}}, \{{{R}, {R}, {R}, {R}\}}, \{{{R}, {R}\}}, \{{({F}, {F}, {F}, {F})\}}");
        Assert.Equal(mma.Groups[1].Value, mma.Groups[2].Value);
    }
}
