using RectifiedSpaAttn.Compute;
using RectifiedSpaAttn.Compute.Cpu;
using RectifiedSpaAttn.Compute.Emulation;
using RectifiedSpaAttn.Generators.Ir;

namespace RectifiedSpaAttn.Generators.Tests.Cpu;

/// <summary>Kernels with barriers and shuffles: threads as iterators under the group scheduler.</summary>
public sealed class CpuSynchronisationTests
{
    [Fact]
    public void SharedMemoryTreeReductionWithBarriersInALoop()
    {
        const int groupSize = 256, groups = 5;
        var b = new IrBuilder();
        IrParam x = b.Buffer("x", IrType.F32), sums = b.Buffer("sums", IrType.F32);
        IrSharedAllocation tile = b.Shared(IrType.F32, groupSize);
        IrView s = X.View(tile);
        b.Store(s, X.Tid, X.Load(X.View(x), X.GlobalX));
        b.Barrier();
        IrLocal half = b.Let("half", X.I32(groupSize / 2));
        b.Loop(X.Gt(X.Ref(half), X.I32(0)), () =>
        {
            b.If(X.Lt(X.Tid, X.Ref(half)),
                () => b.Store(s, X.Tid, X.Add(X.Load(s, X.Tid), X.Load(s, X.Add(X.Tid, X.Ref(half))))));
            b.Barrier();
        }, () => b.Assign(half, X.Shr(X.Ref(half), X.I32(1))));
        b.If(X.Eq(X.Tid, X.I32(0)), () => b.Store(X.View(sums), X.S(IrSpecialKind.GridIdxX), X.Load(s, X.I32(0))));
        KernelVariant kernel = CpuKernelCompiler.Compile(b.Build("tree_sum"));

        float[] input = TestData.Floats(groups * groupSize, seed: 2);
        using var cpu = new CpuAccelerator();
        using DeviceBuffer<float> xs = cpu.Allocate<float>(input.Length);
        using DeviceBuffer<float> output = cpu.Allocate<float>(groups);
        xs.CopyFrom(input);
        output.Fill(float.NaN);
        cpu.Launch(kernel, new LaunchDimensions(groups, groupSize),
            [KernelArgument.Buffer(xs.View, ScalarType.Float32), KernelArgument.Buffer(output.View, ScalarType.Float32)]);

        float[] result = output.ToArray();
        for (int g = 0; g < groups; g++)
        {
            float[] tree = input[(g * groupSize)..((g + 1) * groupSize)];
            for (int h = groupSize / 2; h > 0; h >>= 1)
                for (int t = 0; t < h; t++) tree[t] += tree[t + h];
            Assert.Equal(tree[0], result[g]); // Same order of additions: bit-exact.
        }
    }

    [Fact]
    public void ShufflesIdxXorAndDownMatchAWarpSimulation()
    {
        const int groupSize = 64, groups = 3, n = groupSize * groups;
        var b = new IrBuilder();
        IrParam fx = b.Buffer("fx", IrType.F32), ix = b.Buffer("ix", IrType.I32), ux = b.Buffer("ux", IrType.U32);
        IrParam xorSum = b.Buffer("xorSum", IrType.F32), downSum = b.Buffer("downSum", IrType.I32);
        IrParam rotated = b.Buffer("rotated", IrType.U32), down4 = b.Buffer("down4", IrType.F32);
        IrLocal g = b.Let("g", X.GlobalX);

        // Butterfly sum, the mask halving in a loop.
        IrLocal sum = b.Let("sum", X.Load(X.View(fx), X.Ref(g)));
        IrLocal mask = b.Let("mask", X.I32(16));
        b.Loop(X.Gt(X.Ref(mask), X.I32(0)), () =>
        {
            IrLocal other = b.Shuffle(IrShuffleKind.Xor, X.Ref(sum), X.Ref(mask));
            b.Assign(sum, X.Add(X.Ref(sum), X.Ref(other)));
        }, () => b.Assign(mask, X.Shr(X.Ref(mask), X.I32(1))));
        b.Store(X.View(xorSum), X.Ref(g), X.Ref(sum));

        // Shuffle-down reduction of ints (lane 0 ends with the total, the others with partial sums).
        IrLocal acc = b.Let("acc", X.Load(X.View(ix), X.Ref(g)));
        foreach (int delta in new[] { 16, 8, 4, 2, 1 })
        {
            IrLocal other = b.Shuffle(IrShuffleKind.Down, X.Ref(acc), X.I32(delta));
            b.Assign(acc, X.Add(X.Ref(acc), X.Ref(other)));
        }
        b.Store(X.View(downSum), X.Ref(g), X.Ref(acc));

        // Idx with an operand past 31 (only its low 5 bits count): lane l reads lane (l + 3) % 32.
        IrLocal rot = b.Shuffle(IrShuffleKind.Idx, X.Load(X.View(ux), X.Ref(g)), X.Add(X.Lane, X.I32(35)));
        b.Store(X.View(rotated), X.Ref(g), X.Ref(rot));

        // Down by 4: lanes 28-31 keep their own value.
        IrLocal d4 = b.Shuffle(IrShuffleKind.Down, X.Load(X.View(fx), X.Ref(g)), X.I32(4));
        b.Store(X.View(down4), X.Ref(g), X.Ref(d4));
        KernelVariant kernel = CpuKernelCompiler.Compile(b.Build("shuffles"));

        float[] f = TestData.Floats(n, seed: 3);
        int[] i = TestData.Ints(n, seed: 4, -1000, 1000);
        uint[] u = TestData.Ints(n, seed: 5, 0, int.MaxValue).Select(v => (uint)v * 2 + 1).ToArray();
        using var cpu = new CpuAccelerator();
        using DeviceBuffer<float> fb = cpu.Allocate<float>(n), xorOut = cpu.Allocate<float>(n), down4Out = cpu.Allocate<float>(n);
        using DeviceBuffer<int> ib = cpu.Allocate<int>(n), downOut = cpu.Allocate<int>(n);
        using DeviceBuffer<uint> ub = cpu.Allocate<uint>(n), rotOut = cpu.Allocate<uint>(n);
        fb.CopyFrom(f);
        ib.CopyFrom(i);
        ub.CopyFrom(u);
        xorOut.Fill(float.NaN);
        down4Out.Fill(float.NaN);
        downOut.Fill(unchecked((int)0xDEADBEEF));
        rotOut.Fill(0xDEADBEEF);
        cpu.Launch(kernel, new LaunchDimensions(groups, groupSize),
        [
            KernelArgument.Buffer(fb.View, ScalarType.Float32), KernelArgument.Buffer(ib.View, ScalarType.Int32),
            KernelArgument.Buffer(ub.View, ScalarType.UInt32), KernelArgument.Buffer(xorOut.View, ScalarType.Float32),
            KernelArgument.Buffer(downOut.View, ScalarType.Int32), KernelArgument.Buffer(rotOut.View, ScalarType.UInt32),
            KernelArgument.Buffer(down4Out.View, ScalarType.Float32),
        ]);

        float[] xorExpected = new float[n], down4Expected = new float[n];
        int[] downExpected = new int[n];
        uint[] rotExpected = new uint[n];
        for (int w = 0; w < n / 32; w++)
        {
            float[] s = f[(32 * w)..(32 * w + 32)];
            for (int m = 16; m > 0; m >>= 1) s = [.. Enumerable.Range(0, 32).Select(l => s[l] + s[l ^ m])];
            int[] a = i[(32 * w)..(32 * w + 32)];
            foreach (int d in new[] { 16, 8, 4, 2, 1 }) a = [.. Enumerable.Range(0, 32).Select(l => a[l] + (l + d < 32 ? a[l + d] : a[l]))];
            for (int l = 0; l < 32; l++)
            {
                xorExpected[32 * w + l] = s[l];
                downExpected[32 * w + l] = a[l];
                rotExpected[32 * w + l] = u[32 * w + (l + 3) % 32];
                down4Expected[32 * w + l] = f[32 * w + (l + 4 < 32 ? l + 4 : l)];
            }
        }
        Assert.Equal(xorExpected, xorOut.ToArray());
        Assert.Equal(downExpected, downOut.ToArray());
        Assert.Equal(rotExpected, rotOut.ToArray());
        Assert.Equal(down4Expected, down4Out.ToArray());
        // Every lane of a butterfly ends with the same total.
        Assert.All(Enumerable.Range(0, n), k => Assert.Equal(xorExpected[k / 32 * 32], xorExpected[k]));
    }

    [Fact]
    public void ABarrierThatOnlySomeThreadsReachIsReportedAsDivergent()
    {
        var b = new IrBuilder();
        IrParam o = b.Buffer("o", IrType.I32);
        b.If(X.Lt(X.Tid, X.I32(16)), () => b.Barrier());
        b.Store(X.View(o), X.GlobalX, X.I32(1));
        KernelVariant kernel = CpuKernelCompiler.Compile(b.Build("half_barrier"));

        CpuDivergenceException e = LaunchExpectingDivergence(kernel, 64);
        Assert.Contains("half_barrier", e.Message);
        Assert.Contains("divergent", e.Message);
        Assert.Contains("threads 0-15 wait at Group.Barrier #0", e.Message);
        Assert.Contains("threads 16-63 returned", e.Message);
    }

    [Fact]
    public void ThreadsWaitingAtDifferentBarriersAreReportedAsDivergent()
    {
        var b = new IrBuilder();
        IrParam o = b.Buffer("o", IrType.I32);
        b.If(X.Lt(X.Tid, X.I32(40)), () => b.Barrier(), () => b.Barrier());
        b.Store(X.View(o), X.GlobalX, X.I32(1));
        KernelVariant kernel = CpuKernelCompiler.Compile(b.Build("two_barriers"));

        CpuDivergenceException e = LaunchExpectingDivergence(kernel, 64);
        Assert.Contains("threads 0-39 wait at Group.Barrier #0; threads 40-63 wait at Group.Barrier #1", e.Message);
    }

    [Fact]
    public void AShuffleByHalfAWarpIsReportedAsDivergent()
    {
        var b = new IrBuilder();
        IrParam o = b.Buffer("o", IrType.I32);
        b.If(X.Lt(X.Lane, X.I32(16)), () =>
        {
            IrLocal v = b.Shuffle(IrShuffleKind.Xor, X.Tid, X.I32(1));
            b.Store(X.View(o), X.GlobalX, X.Ref(v));
        });
        KernelVariant kernel = CpuKernelCompiler.Compile(b.Build("half_shuffle"));

        CpuDivergenceException e = LaunchExpectingDivergence(kernel, 32);
        Assert.Contains("half_shuffle", e.Message);
        Assert.Contains("threads 0-15 wait at Warp.ShuffleXor #0; threads 16-31 returned", e.Message);
    }

    [Fact]
    public void WarpsProceedIndependentlyWhileOthersWaitAtABarrier()
    {
        // Warp 1 does a shuffle loop before the barrier; warp 0 goes straight to it. Both must complete.
        var b = new IrBuilder();
        IrParam o = b.Buffer("o", IrType.I32);
        IrSharedAllocation s = b.Shared(IrType.I32, 64);
        IrLocal v = b.Let("v", X.Tid);
        b.If(X.Eq(X.S(IrSpecialKind.WarpIdx), X.I32(1)), () =>
            b.For("k", X.I32(0), X.I32(3), X.I32(1), _ =>
            {
                IrLocal other = b.Shuffle(IrShuffleKind.Idx, X.Ref(v), X.I32(0));
                b.WarpBarrier();
                b.Assign(v, X.Add(X.Ref(v), X.Ref(other)));
            }));
        b.Store(X.View(s), X.Tid, X.Ref(v));
        b.Barrier();
        b.Store(X.View(o), X.Tid, X.Load(X.View(s), X.Sub(X.I32(63), X.Tid)));
        KernelVariant kernel = CpuKernelCompiler.Compile(b.Build("warp_then_barrier"));

        using var cpu = new CpuAccelerator();
        using DeviceBuffer<int> output = cpu.Allocate<int>(64);
        output.Fill(-1);
        cpu.Launch(kernel, new LaunchDimensions(1, 64), [KernelArgument.Buffer(output.View, ScalarType.Int32)]);
        int[] values = new int[64];
        for (int t = 0; t < 64; t++)
        {
            int x = t;
            if (t >= 32) for (int k = 0, lane0 = 32; k < 3; k++) { x += lane0; lane0 *= 2; }
            values[t] = x;
        }
        Assert.Equal(Enumerable.Range(0, 64).Select(t => values[63 - t]).ToArray(), output.ToArray());
    }

    private static CpuDivergenceException LaunchExpectingDivergence(KernelVariant kernel, int groupSize) =>
        Assert.IsType<CpuDivergenceException>(CpuTestLaunch.Run(kernel, 2, groupSize, out _));
}
