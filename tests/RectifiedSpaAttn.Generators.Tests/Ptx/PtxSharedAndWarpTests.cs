using RectifiedSpaAttn.Generators.Ir;
using Xunit.Abstractions;
using static RectifiedSpaAttn.Generators.Tests.Ptx.PtxTestSupport;

namespace RectifiedSpaAttn.Generators.Tests.Ptx;

/// <summary>Shared memory with barriers, warp shuffles, atomics and 16-byte vector access.</summary>
public class PtxSharedAndWarpTests(ITestOutputHelper output)
{
    /// <summary>Tree reduction of 256 floats per group in static shared memory.</summary>
    [Fact]
    public void SharedMemoryReductionWithBarrierAndLoop()
    {
        var k = new IrKernelBuilder("block_sum");
        IrParam x = k.Buffer("x", IrType.F32), o = k.Buffer("out", IrType.F32);
        IrSharedAllocation tile = k.Shared(IrType.F32, 256);
        IrLocal t = k.Local("t", IrType.I32), s = k.Local("s", IrType.I32);
        IrView xv = IrKernelBuilder.View(x), ov = IrKernelBuilder.View(o), sv = IrKernelBuilder.View(tile);
        k.Assign(t, E.Sp(IrSpecialKind.GroupIdxX));
        k.Store(sv, E.Ref(t), E.Load(xv, E.Wide(E.GlobalX)));
        k.Emit(IrBarrier.Instance);
        k.Assign(s, E.I32(128));
        k.Loop(E.Gt(E.Ref(s), E.I32(0)), () =>
        {
            k.If(E.Lt(E.Ref(t), E.Ref(s)), () =>
                k.Store(sv, E.Ref(t), E.Add(E.Load(sv, E.Ref(t)), E.Load(sv, E.Add(E.Ref(t), E.Ref(s))))));
            k.Emit(IrBarrier.Instance);
        }, () => k.Assign(s, E.Shr(E.Ref(s), E.I32(1))));
        k.If(E.Eq(E.Ref(t), E.I32(0)), () => k.Store(ov, E.Wide(E.Sp(IrSpecialKind.GridIdxX)), E.Load(sv, E.I32(0))));
        string ptx = Compile(k.Build(), output);

        Assert.Contains(".shared .align 16 .b8 smem0[1024];", ptx);
        AssertInstruction(ptx, $@"mov\.u32 {R}, smem0");
        AssertInstruction(ptx, $@"mad\.lo\.s32 {R}, {R}, 4, {R}"); // 32-bit shared address
        AssertInstruction(ptx, $@"st\.shared\.f32 \[{R}\], {F}");
        AssertInstruction(ptx, $@"ld\.shared\.f32 {F}, \[{R}\]");
        Assert.Equal(2, Instructions(ptx).Count(l => l == "bar.sync 0"));
    }

    /// <summary>Butterfly sum over the warp, plus down and indexed shuffles, then one atomic per warp.</summary>
    [Fact]
    public void ShuffleReduction()
    {
        var k = new IrKernelBuilder("warp_sum");
        IrParam x = k.Buffer("x", IrType.F32), o = k.Buffer("out", IrType.F32), ints = k.Buffer("ints", IrType.I32);
        IrLocal v = k.Local("v", IrType.F32), tmp = k.Local("tmp", IrType.F32), down = k.Local("down", IrType.I32), lane0 = k.Local("lane0", IrType.U32);
        IrView xv = IrKernelBuilder.View(x), ov = IrKernelBuilder.View(o), iv = IrKernelBuilder.View(ints);
        k.Assign(v, E.Load(xv, E.Wide(E.GlobalX)));
        for (int mask = 16; mask >= 1; mask /= 2)
        {
            k.Emit(new IrShuffle(IrShuffleKind.Xor, tmp, E.Ref(v), E.I32(mask)));
            k.Assign(v, E.Add(E.Ref(v), E.Ref(tmp)));
        }
        k.Emit(new IrShuffle(IrShuffleKind.Down, down, E.Sp(IrSpecialKind.LaneIdx), E.I32(1)));
        k.Emit(new IrShuffle(IrShuffleKind.Idx, lane0, E.Conv(IrType.U32, E.Ref(down)), E.Sp(IrSpecialKind.WarpIdx)));
        k.Emit(IrWarpBarrier.Instance);
        k.Store(iv, E.Wide(E.GlobalX), E.Add(E.Ref(down), E.Conv(IrType.I32, E.Ref(lane0))));
        k.If(E.Eq(E.Sp(IrSpecialKind.LaneIdx), E.I32(0)), () =>
            k.Emit(new IrAtomic(IrAtomicOp.Add, null, ov, E.Wide(E.Sp(IrSpecialKind.WarpIdx)), E.Ref(v), null)));
        string ptx = Compile(k.Build(), output);

        Assert.Equal(5, Instructions(ptx).Count(l => l.StartsWith("shfl.sync.bfly.b32", StringComparison.Ordinal)));
        AssertInstruction(ptx, $@"shfl\.sync\.bfly\.b32 {F}, {F}, 16, 31, -1");
        AssertInstruction(ptx, $@"shfl\.sync\.down\.b32 {R}, {R}, 1, 31, -1");
        AssertInstruction(ptx, $@"shfl\.sync\.idx\.b32 {R}, {R}, {R}, 31, -1");
        AssertInstruction(ptx, "bar.warp.sync -1");
        AssertInstruction(ptx, $@"red\.global\.add\.f32 \[{RD}\], {F}");
    }

    [Fact]
    public void Atomics()
    {
        var k = new IrKernelBuilder("atomics");
        IrParam counts = k.Buffer("counts", IrType.I32), sum = k.Buffer("sum", IrType.F32), o = k.Buffer("out", IrType.I32), u = k.Buffer("u", IrType.U32);
        IrSharedAllocation sh = k.Shared(IrType.U32, 4);
        IrLocal old = k.Local("old", IrType.I32), prev = k.Local("prev", IrType.I32), mx = k.Local("mx", IrType.I32), su = k.Local("su", IrType.U32);
        IrView cv = IrKernelBuilder.View(counts), sv = IrKernelBuilder.View(sum), ov = IrKernelBuilder.View(o), uv = IrKernelBuilder.View(u), shv = IrKernelBuilder.View(sh);
        k.Emit(new IrAtomic(IrAtomicOp.Add, old, cv, E.I64(0), E.I32(1), null));
        k.Emit(new IrAtomic(IrAtomicOp.Add, null, sv, E.I64(0), E.F32(0.5f), null));
        k.Emit(new IrAtomic(IrAtomicOp.Max, mx, cv, E.I64(1), E.Sp(IrSpecialKind.GroupIdxX), null));
        k.Emit(new IrAtomic(IrAtomicOp.Max, null, cv, E.I64(2), E.Ref(old), null));
        k.Emit(new IrAtomic(IrAtomicOp.CompareExchange, prev, cv, E.I64(3), E.I32(7), E.I32(0)));
        k.Emit(new IrAtomic(IrAtomicOp.Add, su, shv, E.I32(1), E.U32(3), null));
        k.Emit(new IrAtomic(IrAtomicOp.Add, null, shv, E.I32(2), E.U32(3), null));
        k.Emit(new IrAtomic(IrAtomicOp.Add, null, uv, E.I64(0), E.Ref(su), null));
        k.Store(ov, E.Wide(E.GlobalX), E.Add(E.Add(E.Ref(old), E.Ref(prev)), E.Ref(mx)));
        string ptx = Compile(k.Build(), output);

        AssertInstruction(ptx, $@"atom\.global\.add\.s32 {R}, \[{RD}\], {R}");
        AssertInstruction(ptx, $@"red\.global\.add\.f32 \[{RD}\], {F}");
        AssertInstruction(ptx, $@"atom\.global\.max\.s32 {R}, \[{RD}\+4\], {R}");
        AssertInstruction(ptx, $@"red\.global\.max\.s32 \[{RD}\+8\], {R}");
        // atom.cas d, [a], b, c stores c when [a] == b: the comparand (0) comes before the new value (7).
        System.Text.RegularExpressions.Match cas = AssertInstruction(ptx, $@"atom\.global\.cas\.b32 {R}, \[{RD}\+12\], ({R}), ({R})");
        AssertInstruction(ptx, $@"mov\.b32 {cas.Groups[1].Value}, 0");
        AssertInstruction(ptx, $@"mov\.b32 {cas.Groups[2].Value}, 7");
        AssertInstruction(ptx, $@"atom\.shared\.add\.u32 {R}, \[{R}\+4\], {R}");
        AssertInstruction(ptx, $@"red\.shared\.add\.u32 \[{R}\+8\], {R}");
        AssertInstruction(ptx, $@"red\.global\.add\.u32 \[{RD}\], {R}");
    }

    /// <summary>16 bytes global -> shared -> global through 128-bit accesses.</summary>
    [Fact]
    public void VectorLoadsAndStores()
    {
        var k = new IrKernelBuilder("copy16");
        IrParam src = k.Buffer("src", IrType.U16), dst = k.Buffer("dst", IrType.U16);
        IrSharedAllocation sh = k.Shared(IrType.U16, 8 * 128);
        IrLocal[] w = Enumerable.Range(0, 4).Select(n => k.Local("w" + n, IrType.U32)).ToArray();
        IrLocal[] z = Enumerable.Range(0, 4).Select(n => k.Local("z" + n, IrType.U32)).ToArray();
        IrView sv = IrKernelBuilder.View(src), dv = IrKernelBuilder.View(dst), shv = IrKernelBuilder.View(sh);
        IrExpr t = E.Sp(IrSpecialKind.GroupIdxX);
        k.Emit(new IrVectorLoad(w, sv, E.Wide(E.Mul(E.GlobalX, E.I32(8)))));
        k.Emit(new IrVectorStore(shv, E.Mul(t, E.I32(8)), w.Select(l => (IrExpr)E.Ref(l)).ToArray()));
        k.Emit(IrBarrier.Instance);
        k.Emit(new IrVectorLoad(z, shv, E.Mul(E.Xor(t, E.I32(1)), E.I32(8))));
        k.Emit(new IrVectorStore(dv, E.Wide(E.Mul(E.GlobalX, E.I32(8))), z.Select(l => (IrExpr)E.Ref(l)).ToArray()));
        string ptx = Compile(k.Build(), output);

        AssertInstruction(ptx, $@"ld\.global\.v4\.u32 \{{{R}, {R}, {R}, {R}\}}, \[{RD}\]");
        AssertInstruction(ptx, $@"st\.shared\.v4\.u32 \[{R}\], \{{{R}, {R}, {R}, {R}\}}");
        AssertInstruction(ptx, $@"ld\.shared\.v4\.u32 \{{{R}, {R}, {R}, {R}\}}, \[{R}\]");
        AssertInstruction(ptx, $@"st\.global\.v4\.u32 \[{RD}\], \{{{R}, {R}, {R}, {R}\}}");
    }
}
