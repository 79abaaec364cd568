using RectifiedSpaAttn.Compute;
using RectifiedSpaAttn.Compute.OpenCL;
using RectifiedSpaAttn.Generators.Ir;
using static RectifiedSpaAttn.Generators.Tests.X;

namespace RectifiedSpaAttn.Generators.Tests.OpenCL;

/// <summary>Atomic add (int, uint, float), max, exchange and compare-exchange on global and shared memory, with previous values.</summary>
public sealed class AtomicTests(ITestOutputHelper output)
{
    [Fact]
    public void AtomicsCountSumAndElectExactly()
    {
        OpenCLAccelerator? cl = OpenCLTestDevice.RequireOrSkipOutsideCI(output);
        if (cl is null) return;
        var bld = new IrBuilder();
        IrParam xs = bld.Buffer("xs", IrType.I32), hist = bld.Buffer("hist", IrType.I32), tickets = bld.Buffer("tickets", IrType.I32);
        IrParam counter = bld.Buffer("counter", IrType.U32), fsum = bld.Buffer("fsum", IrType.F32), mx = bld.Buffer("mx", IrType.I32);
        IrParam slots = bld.Buffer("slots", IrType.I32), won = bld.Buffer("won", IrType.I32), groupOut = bld.Buffer("group_out", IrType.F32);
        IrSharedAllocation localSum = bld.Shared(IrType.F32, 1), localCount = bld.Shared(IrType.I32, 1);
        IrLocal i = bld.Local("i", IrType.I32), xl = bld.Local("x", IrType.I32), old = bld.Local("old", IrType.I32), ticket = bld.Local("ticket", IrType.U32);
        IrLocal prev = bld.Local("prev", IrType.F32);
        IrExpr t = S(IrSpecialKind.GroupIdxX);
        IrKernel kernel = bld.Build("atomics",
            Set(i, GlobalX),
            If(Eq(t, I32(0)), Store(View(localSum), I32(0), F32(0)), Store(View(localCount), I32(0), I32(0))),
            GroupBarrier,
            Set(xl, Load(View(xs), Ref(i))),
            new IrAtomic(IrAtomicOp.Add, null, View(hist), And(Ref(xl), I32(15)), I32(1), null),
            new IrAtomic(IrAtomicOp.Add, ticket, View(counter), I32(0), U32(1), null),
            Store(View(tickets), Ref(i), Conv(IrType.I32, Ref(ticket))),
            new IrAtomic(IrAtomicOp.Add, prev, View(fsum), I32(0), Conv(IrType.F32, Shr(Ref(xl), I32(20))), null),
            new IrAtomic(IrAtomicOp.Max, null, View(mx), I32(0), Ref(xl), null),
            new IrAtomic(IrAtomicOp.CompareExchange, old, View(slots), And(Ref(xl), I32(7)), Ref(i), I32(-1)),
            Store(View(won), Ref(i), Conv(IrType.I32, Eq(Ref(old), I32(-1)))),
            new IrAtomic(IrAtomicOp.Add, null, View(localSum), I32(0), Conv(IrType.F32, And(Ref(xl), I32(255))), null),
            new IrAtomic(IrAtomicOp.Add, null, View(localCount), I32(0), I32(1), null),
            GroupBarrier,
            If(Eq(t, I32(0)),
                Store(View(groupOut), Mul(S(IrSpecialKind.GridIdxX), I32(2)), Load(View(localSum), I32(0))),
                Store(View(groupOut), Add(Mul(S(IrSpecialKind.GridIdxX), I32(2)), I32(1)), Conv(IrType.F32, Load(View(localCount), I32(0))))));
        KernelVariant variant = OpenCLKernelRunner.Variant(kernel, output);

        int seed = OpenCLKernelRunner.NewSeed();
        var rng = new Random(seed);
        int group = 64, groups = rng.Next(1, 20), n = group * groups;
        int[] x = [.. Enumerable.Range(0, n).Select(_ => rng.Next(int.MinValue, int.MaxValue))];
        using DeviceBuffer<int> xb = cl.Allocate<int>(n), hb = cl.Allocate<int>(16), tb = cl.Allocate<int>(n), mb = cl.Allocate<int>(1);
        using DeviceBuffer<int> sb = cl.Allocate<int>(8), wb = cl.Allocate<int>(n);
        using DeviceBuffer<uint> cb = cl.Allocate<uint>(1);
        using DeviceBuffer<float> fb = cl.Allocate<float>(1), gb = cl.Allocate<float>(2 * groups);
        xb.CopyFrom(x);
        hb.Fill(0); tb.Fill(-5); mb.Fill(int.MinValue); sb.Fill(-1); wb.Fill(-5); cb.Fill(0); fb.Fill(0); gb.Fill(float.NaN);
        cl.Launch(variant, new LaunchDimensions(groups, group),
        [
            KernelArgument.Buffer(xb.View, ScalarType.Int32), KernelArgument.Buffer(hb.View, ScalarType.Int32), KernelArgument.Buffer(tb.View, ScalarType.Int32),
            KernelArgument.Buffer(cb.View, ScalarType.UInt32), KernelArgument.Buffer(fb.View, ScalarType.Float32), KernelArgument.Buffer(mb.View, ScalarType.Int32),
            KernelArgument.Buffer(sb.View, ScalarType.Int32), KernelArgument.Buffer(wb.View, ScalarType.Int32), KernelArgument.Buffer(gb.View, ScalarType.Float32),
        ]);

        string ctx = $"seed {seed}, {n} threads";
        int[] h = hb.ToArray();
        for (int k = 0; k < 16; k++) Assert.True(x.Count(v => (v & 15) == k) == h[k], $"{ctx}: histogram bin {k} = {h[k]}");
        Assert.Equal(Enumerable.Range(0, n), tb.ToArray().OrderBy(v => v));
        Assert.Equal((uint)n, cb.ToArray()[0]);
        Assert.True(x.Sum(v => (float)(v >> 20)) == fb.ToArray()[0], $"{ctx}: float sum {fb.ToArray()[0]}"); // integers below 2^24: exact in any order
        Assert.Equal(x.Max(), mb.ToArray()[0]);
        int[] slot = sb.ToArray(), w = wb.ToArray();
        for (int k = 0; k < 8; k++)
        {
            int[] contenders = [.. Enumerable.Range(0, n).Where(j => (x[j] & 7) == k)];
            if (contenders.Length == 0) { Assert.Equal(-1, slot[k]); continue; }
            Assert.Contains(slot[k], contenders);
            Assert.True(contenders.Count(j => w[j] == 1) == 1 && w[slot[k]] == 1, $"{ctx}: slot {k} must have exactly one winner, thread {slot[k]}");
        }
        Assert.All(w, v => Assert.True(v is 0 or 1));
        float[] go = gb.ToArray();
        for (int g = 0; g < groups; g++)
        {
            Assert.True(x.Skip(g * group).Take(group).Sum(v => (float)(v & 255)) == go[2 * g], $"{ctx}: group {g} local float sum {go[2 * g]}");
            Assert.Equal(group, go[2 * g + 1]);
        }
    }

    [Fact]
    public void ExchangesFormOneChainThroughEveryThread()
    {
        // Every thread swaps its index into one slot (global) and one shared slot: the previous values it gets back,
        // with what is left in the slot, are the start value and every index exactly once, in whatever order.
        OpenCLAccelerator? cl = OpenCLTestDevice.RequireOrSkipOutsideCI(output);
        if (cl is null) return;
        var bld = new IrBuilder();
        IrParam slot = bld.Buffer("slot", IrType.I32), olds = bld.Buffer("olds", IrType.I32), localOlds = bld.Buffer("local_olds", IrType.I32);
        IrParam localLeft = bld.Buffer("local_left", IrType.I32);
        IrSharedAllocation shared = bld.Shared(IrType.I32, 1);
        IrLocal i = bld.Local("i", IrType.I32), old = bld.Local("old", IrType.I32), localOld = bld.Local("local_old", IrType.I32);
        IrExpr t = S(IrSpecialKind.GroupIdxX);
        IrKernel kernel = bld.Build("exchanges",
            Set(i, GlobalX),
            If(Eq(t, I32(0)), Store(View(shared), I32(0), I32(-7))),
            GroupBarrier,
            new IrAtomic(IrAtomicOp.Exchange, old, View(slot), I32(0), Ref(i), null),
            Store(View(olds), Ref(i), Ref(old)),
            new IrAtomic(IrAtomicOp.Exchange, localOld, View(shared), I32(0), Ref(i), null),
            Store(View(localOlds), Ref(i), Ref(localOld)),
            GroupBarrier,
            If(Eq(t, I32(0)), Store(View(localLeft), S(IrSpecialKind.GridIdxX), Load(View(shared), I32(0)))));
        KernelVariant variant = OpenCLKernelRunner.Variant(kernel, output);
        Assert.Contains("atomic_xchg(", variant.OpenCL);

        int seed = OpenCLKernelRunner.NewSeed();
        var rng = new Random(seed);
        int group = 64, groups = rng.Next(1, 20), n = group * groups;
        using DeviceBuffer<int> sb = cl.Allocate<int>(1), ob = cl.Allocate<int>(n), lb = cl.Allocate<int>(n), leftb = cl.Allocate<int>(groups);
        sb.Fill(-1); ob.Fill(-5); lb.Fill(-5); leftb.Fill(-5);
        cl.Launch(variant, new LaunchDimensions(groups, group),
        [
            KernelArgument.Buffer(sb.View, ScalarType.Int32), KernelArgument.Buffer(ob.View, ScalarType.Int32),
            KernelArgument.Buffer(lb.View, ScalarType.Int32), KernelArgument.Buffer(leftb.View, ScalarType.Int32),
        ]);

        Assert.Equal([-1, .. Enumerable.Range(0, n)], ob.ToArray().Append(sb.ToArray()[0]).Order());
        int[] local = lb.ToArray(), left = leftb.ToArray();
        for (int g = 0; g < groups; g++)
            Assert.Equal([-7, .. Enumerable.Range(g * group, group)], local.Skip(g * group).Take(group).Append(left[g]).Order());
    }
}
