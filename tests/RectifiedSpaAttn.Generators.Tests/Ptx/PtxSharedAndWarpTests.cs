using RectifiedSpaAttn.Generators.Ir;
using static RectifiedSpaAttn.Generators.Tests.Ptx.PtxTestSupport;

namespace RectifiedSpaAttn.Generators.Tests.Ptx;

/// <summary>Shared memory with barriers, warp shuffles, atomics and 16-byte vector access.</summary>
public class PtxSharedAndWarpTests(ITestOutputHelper output)
{
    /// <summary>Tree reduction of 256 floats per group in static shared memory.</summary>
    internal static IrKernel SharedMemoryReductionWithBarrierAndLoopKernel()
    {
        var k = new IrBuilder();
        IrParam x = k.Buffer("x", IrType.F32), o = k.Buffer("out", IrType.F32);
        IrSharedAllocation tile = k.Shared(IrType.F32, 256);
        IrLocal t = k.Local("t", IrType.I32), s = k.Local("s", IrType.I32);
        IrView xv = X.View(x), ov = X.View(o), sv = X.View(tile);
        k.Assign(t, X.S(IrSpecialKind.GroupIdxX));
        k.Store(sv, X.Ref(t), X.Load(xv, X.Wide(X.GlobalX)));
        k.Add(IrBarrier.Instance);
        k.Assign(s, X.I32(128));
        k.Loop(X.Gt(X.Ref(s), X.I32(0)), () =>
        {
            k.If(X.Lt(X.Ref(t), X.Ref(s)), () =>
                k.Store(sv, X.Ref(t), X.Add(X.Load(sv, X.Ref(t)), X.Load(sv, X.Add(X.Ref(t), X.Ref(s))))));
            k.Add(IrBarrier.Instance);
        }, () => k.Assign(s, X.Shr(X.Ref(s), X.I32(1))));
        k.If(X.Eq(X.Ref(t), X.I32(0)), () => k.Store(ov, X.Wide(X.S(IrSpecialKind.GridIdxX)), X.Load(sv, X.I32(0))));
        return k.Build("block_sum");
    }

    [Fact]
    public void SharedMemoryReductionWithBarrierAndLoop()
    {
        string ptx = Compile(SharedMemoryReductionWithBarrierAndLoopKernel(), output);

        Assert.Contains(".shared .align 16 .b8 smem0[1024];", ptx);
        AssertInstruction(ptx, $@"mov\.u32 {R}, smem0");
        AssertInstruction(ptx, $@"mad\.lo\.s32 {R}, {R}, 4, {R}"); // 32-bit shared address
        AssertInstruction(ptx, $@"st\.shared\.f32 \[{R}\], {F}");
        AssertInstruction(ptx, $@"ld\.shared\.f32 {F}, \[{R}\]");
        Assert.Equal(2, Instructions(ptx).Count(l => l == "bar.sync 0"));
    }

    internal static IrKernel ConstantIndexPartsKernel()
    {
        var k = new IrBuilder();
        IrParam x = k.Buffer("x", IrType.F32), o = k.Buffer("out", IrType.F32);
        IrSharedAllocation sh = k.Shared(IrType.F32, 64);
        IrLocal i = k.Local("i", IrType.I32), t = k.Local("t", IrType.I32);
        IrView xv = X.View(x), ov = X.View(o), sv = X.View(sh);
        k.Assign(i, X.Add(X.GlobalX, X.I32(2)));
        k.Assign(t, X.S(IrSpecialKind.GroupIdxX));
        k.Store(sv, X.Add(X.Ref(t), X.I32(3)), X.Add(X.Load(xv, X.Wide(X.Add(X.Ref(i), X.I32(1)))), X.Load(xv, X.Wide(X.Sub(X.Ref(i), X.I32(2))))));
        k.Add(IrBarrier.Instance);
        k.Store(ov, X.Add(X.Wide(X.Ref(i)), X.I64(-2)), X.Load(sv, X.Add(X.I32(4), X.Ref(t))));
        return k.Build("stencil");
    }

    /// <summary>x[i+1], x[i-2], sm[t+3], sm[4+t]: the constant parts of an index go into the [reg+imm] address.</summary>
    [Fact]
    public void ConstantIndexPartsFoldIntoTheAddress()
    {
        string ptx = Compile(ConstantIndexPartsKernel(), output);
        AssertInstruction(ptx, $@"ld\.global\.f32 {F}, \[{RD}\+4\]");
        AssertInstruction(ptx, $@"ld\.global\.f32 {F}, \[{RD}\+-8\]");
        AssertInstruction(ptx, $@"st\.shared\.f32 \[{R}\+12\], {F}");
        AssertInstruction(ptx, $@"ld\.shared\.f32 {F}, \[{R}\+16\]");
        AssertNoInstruction(ptx, $@"add\.s32 {R}, {R}, (1|-2|3|4)"); // no index arithmetic left for the constants
        AssertInstruction(ptx, $@"st\.global\.f32 \[{RD}\+-8\], {F}");
    }

    /// <summary>Butterfly sum over the warp, plus down and indexed shuffles, then one atomic per warp.</summary>
    internal static IrKernel ShuffleReductionKernel()
    {
        var k = new IrBuilder();
        IrParam x = k.Buffer("x", IrType.F32), o = k.Buffer("out", IrType.F32), ints = k.Buffer("ints", IrType.I32);
        IrLocal v = k.Local("v", IrType.F32), tmp = k.Local("tmp", IrType.F32), down = k.Local("down", IrType.I32), lane0 = k.Local("lane0", IrType.U32);
        IrView xv = X.View(x), ov = X.View(o), iv = X.View(ints);
        k.Assign(v, X.Load(xv, X.Wide(X.GlobalX)));
        for (int mask = 16; mask >= 1; mask /= 2)
        {
            k.Add(new IrShuffle(IrShuffleKind.Xor, tmp, X.Ref(v), X.I32(mask)));
            k.Assign(v, X.Add(X.Ref(v), X.Ref(tmp)));
        }
        k.Add(new IrShuffle(IrShuffleKind.Down, down, X.S(IrSpecialKind.LaneIdx), X.I32(1)));
        k.Add(new IrShuffle(IrShuffleKind.Idx, lane0, X.Conv(IrType.U32, X.Ref(down)), X.S(IrSpecialKind.WarpIdx)));
        k.Add(IrWarpBarrier.Instance);
        k.Store(iv, X.Wide(X.GlobalX), X.Add(X.Ref(down), X.Conv(IrType.I32, X.Ref(lane0))));
        k.If(X.Eq(X.S(IrSpecialKind.LaneIdx), X.I32(0)), () =>
            k.Add(new IrAtomic(IrAtomicOp.Add, null, ov, X.Wide(X.S(IrSpecialKind.WarpIdx)), X.Ref(v), null)));
        return k.Build("warp_sum");
    }

    [Fact]
    public void ShuffleReduction()
    {
        string ptx = Compile(ShuffleReductionKernel(), output);

        Assert.Equal(5, Instructions(ptx).Count(l => l.StartsWith("shfl.sync.bfly.b32", StringComparison.Ordinal)));
        AssertInstruction(ptx, $@"shfl\.sync\.bfly\.b32 {F}, {F}, 16, 31, -1");
        AssertInstruction(ptx, $@"shfl\.sync\.down\.b32 {R}, {R}, 1, 31, -1");
        AssertInstruction(ptx, $@"shfl\.sync\.idx\.b32 {R}, {R}, {R}, 31, -1");
        AssertInstruction(ptx, "bar.warp.sync -1");
        AssertInstruction(ptx, $@"red\.global\.add\.f32 \[{RD}\], {F}");
    }

    internal static IrKernel AtomicsKernel()
    {
        var k = new IrBuilder();
        IrParam counts = k.Buffer("counts", IrType.I32), sum = k.Buffer("sum", IrType.F32), o = k.Buffer("out", IrType.I32), u = k.Buffer("u", IrType.U32);
        IrSharedAllocation sh = k.Shared(IrType.U32, 4);
        IrLocal old = k.Local("old", IrType.I32), prev = k.Local("prev", IrType.I32), mx = k.Local("mx", IrType.I32), su = k.Local("su", IrType.U32);
        IrView cv = X.View(counts), sv = X.View(sum), ov = X.View(o), uv = X.View(u), shv = X.View(sh);
        k.Add(new IrAtomic(IrAtomicOp.Add, old, cv, X.I64(0), X.I32(1), null));
        k.Add(new IrAtomic(IrAtomicOp.Add, null, sv, X.I64(0), X.F32(0.5f), null));
        k.Add(new IrAtomic(IrAtomicOp.Max, mx, cv, X.I64(1), X.S(IrSpecialKind.GroupIdxX), null));
        k.Add(new IrAtomic(IrAtomicOp.Max, null, cv, X.I64(2), X.Ref(old), null));
        k.Add(new IrAtomic(IrAtomicOp.CompareExchange, prev, cv, X.I64(3), X.I32(7), X.I32(0)));
        k.Add(new IrAtomic(IrAtomicOp.Add, su, shv, X.I32(1), X.U32(3), null));
        k.Add(new IrAtomic(IrAtomicOp.Add, null, shv, X.I32(2), X.U32(3), null));
        k.Add(new IrAtomic(IrAtomicOp.Exchange, null, shv, X.I32(3), X.U32(9), null));
        k.Add(new IrAtomic(IrAtomicOp.Add, null, uv, X.I64(0), X.Ref(su), null));
        k.Store(ov, X.Wide(X.GlobalX), X.Add(X.Add(X.Ref(old), X.Ref(prev)), X.Ref(mx)));
        return k.Build("atomics");
    }

    [Fact]
    public void Atomics()
    {
        string ptx = Compile(AtomicsKernel(), output);

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
        // red has no exch: an exchange whose old value no one reads still takes a destination.
        AssertInstruction(ptx, $@"atom\.shared\.exch\.b32 {R}, \[{R}\+12\], {R}");
        AssertInstruction(ptx, $@"red\.global\.add\.u32 \[{RD}\], {R}");
    }

    /// <summary>16 bytes global -> shared -> global through 128-bit accesses.</summary>
    internal static IrKernel VectorLoadsAndStoresKernel()
    {
        var k = new IrBuilder();
        IrParam src = k.Buffer("src", IrType.U16), dst = k.Buffer("dst", IrType.U16);
        IrSharedAllocation sh = k.Shared(IrType.U16, 8 * 128);
        IrLocal[] w = Enumerable.Range(0, 4).Select(n => k.Local("w" + n, IrType.U32)).ToArray();
        IrLocal[] z = Enumerable.Range(0, 4).Select(n => k.Local("z" + n, IrType.U32)).ToArray();
        IrView sv = X.View(src), dv = X.View(dst), shv = X.View(sh);
        IrExpr t = X.S(IrSpecialKind.GroupIdxX);
        k.Add(new IrVectorLoad(w, sv, X.Wide(X.Mul(X.GlobalX, X.I32(8)))));
        k.Add(new IrVectorStore(shv, X.Mul(t, X.I32(8)), w.Select(l => (IrExpr)X.Ref(l)).ToArray()));
        k.Add(IrBarrier.Instance);
        k.Add(new IrVectorLoad(z, shv, X.Mul(X.Xor(t, X.I32(1)), X.I32(8))));
        k.Add(new IrVectorStore(dv, X.Wide(X.Mul(X.GlobalX, X.I32(8))), z.Select(l => (IrExpr)X.Ref(l)).ToArray()));
        return k.Build("copy16");
    }

    [Fact]
    public void VectorLoadsAndStores()
    {
        string ptx = Compile(VectorLoadsAndStoresKernel(), output);

        AssertInstruction(ptx, $@"ld\.global\.v4\.u32 \{{{R}, {R}, {R}, {R}\}}, \[{RD}\]");
        AssertInstruction(ptx, $@"st\.shared\.v4\.u32 \[{R}\], \{{{R}, {R}, {R}, {R}\}}");
        AssertInstruction(ptx, $@"ld\.shared\.v4\.u32 \{{{R}, {R}, {R}, {R}\}}, \[{R}\]");
        AssertInstruction(ptx, $@"st\.global\.v4\.u32 \[{RD}\], \{{{R}, {R}, {R}, {R}\}}");
    }
}
