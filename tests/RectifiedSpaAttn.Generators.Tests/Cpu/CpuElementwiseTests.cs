using RectifiedSpaAttn.Compute;
using RectifiedSpaAttn.Compute.Cpu;
using RectifiedSpaAttn.Generators.Ir;

namespace RectifiedSpaAttn.Generators.Tests.Cpu;

/// <summary>Kernels without synchronisation: the fast path (one plain method call per thread).</summary>
public sealed class CpuElementwiseTests
{
    [Fact]
    public void ElementwiseKernelStopsAtTheBoundAndLeavesTheRestUntouched()
    {
        var b = new IrBuilder();
        IrParam x = b.Buffer("x", IrType.F32), y = b.Buffer("y", IrType.F32);
        IrParamRef n = X.Arg(b.Scalar("n", IrType.I32)), a = X.Arg(b.Scalar("a", IrType.F32));
        IrLocal i = b.Let("i", X.GlobalX);
        b.If(X.Ge(X.Ref(i), n), b.Return);
        IrLocal v = b.Let("v", X.Load(X.View(x), X.Ref(i)));
        b.Store(X.View(y), X.Ref(i), X.Math(IrMathOp.Fma, IrType.F32, a, X.Ref(v), X.F32(1.5f)));
        KernelVariant kernel = CpuKernelCompiler.Compile(b.Build("saxpy_bounded"));

        const int count = 1000, groups = 8, groupSize = 128;
        float[] input = TestData.Floats(count, seed: 1);
        using var cpu = new CpuAccelerator();
        using DeviceBuffer<float> xs = cpu.Allocate<float>(count);
        using DeviceBuffer<float> ys = cpu.Allocate<float>(groups * groupSize + 16);
        xs.CopyFrom(input);
        ys.Fill(float.NaN);

        cpu.Launch(kernel, new LaunchDimensions(groups, groupSize),
            [KernelArgument.Buffer(xs.View, ScalarType.Float32), KernelArgument.Buffer(ys.View, ScalarType.Float32),
             KernelArgument.From(count), KernelArgument.From(-0.75f)]);

        float[] output = ys.ToArray();
        for (int k = 0; k < count; k++) Assert.Equal(MathF.FusedMultiplyAdd(-0.75f, input[k], 1.5f), output[k]);
        Assert.All(output[count..], value => Assert.True(float.IsNaN(value)));
    }

    [Fact]
    public void EveryThreadSeesItsIndicesAndTheLaunchGeometry()
    {
        var b = new IrBuilder();
        IrParam o = b.Buffer("o", IrType.I32);
        IrView view = X.View(o);
        // Thread t of group g writes 12 values at ((g * threads) + t) * 12.
        IrExpr groupIndex = X.Add(X.S(IrSpecialKind.GridIdxX), X.Mul(X.S(IrSpecialKind.GridDimX), X.Add(X.S(IrSpecialKind.GridIdxY), X.Mul(X.S(IrSpecialKind.GridDimY), X.S(IrSpecialKind.GridIdxZ)))));
        IrExpr threads = X.Mul(X.S(IrSpecialKind.GroupDimX), X.Mul(X.S(IrSpecialKind.GroupDimY), X.S(IrSpecialKind.GroupDimZ)));
        IrLocal at = b.Let("at", X.Mul(X.Add(X.Mul(groupIndex, threads), X.S(IrSpecialKind.GroupLinearIdx)), X.I32(12)));
        IrSpecialKind[] kinds =
        [
            IrSpecialKind.GroupIdxX, IrSpecialKind.GroupIdxY, IrSpecialKind.GroupIdxZ, IrSpecialKind.GroupLinearIdx,
            IrSpecialKind.LaneIdx, IrSpecialKind.WarpIdx, IrSpecialKind.GridIdxX, IrSpecialKind.GridIdxY, IrSpecialKind.GridIdxZ,
            IrSpecialKind.GridDimZ, IrSpecialKind.GroupDimX, IrSpecialKind.GroupDimZ,
        ];
        for (int k = 0; k < kinds.Length; k++) b.Store(view, X.Add(X.Ref(at), X.I32(k)), X.S(kinds[k]));
        KernelVariant kernel = CpuKernelCompiler.Compile(b.Build("indices"));

        var grid = new Dim3(2, 3, 2);
        var group = new Dim3(8, 5, 2);
        int total = (int)(grid.Size * group.Size);
        using var cpu = new CpuAccelerator();
        using DeviceBuffer<int> output = cpu.Allocate<int>(total * 12);
        output.Fill(unchecked((int)0xDEADBEEF));
        cpu.Launch(kernel, new LaunchDimensions(grid, group), [KernelArgument.Buffer(output.View, ScalarType.Int32)]);

        int[] o2 = output.ToArray();
        for (int gz = 0, g = 0; gz < grid.Z; gz++)
        for (int gy = 0; gy < grid.Y; gy++)
        for (int gx = 0; gx < grid.X; gx++, g++)
        for (int tz = 0, t = 0; tz < group.Z; tz++)
        for (int ty = 0; ty < group.Y; ty++)
        for (int tx = 0; tx < group.X; tx++, t++)
        {
            int[] expected = [tx, ty, tz, t, t % 32, t / 32, gx, gy, gz, grid.Z, group.X, group.Z];
            Assert.Equal(expected, o2.AsSpan((g * (int)group.Size + t) * 12, 12).ToArray());
        }
    }

    [Fact]
    public void StaticAndDynamicSharedMemoryAreSeparateAndSized()
    {
        // Each thread writes its index into static shared (two allocations) and dynamic shared, then reads them back
        // (no barrier needed: each thread reads only what it wrote).
        var b = new IrBuilder();
        IrParam o = b.Buffer("o", IrType.I32);
        IrSharedAllocation s1 = b.Shared(IrType.I32, 40), s2 = b.Shared(IrType.U16, 40);
        IrView dyn = b.DynamicShared(IrType.I64, 40);
        b.Store(X.View(s1), X.Tid, X.Mul(X.Tid, X.I32(3)));
        b.Store(X.View(s2), X.Tid, X.Conv(IrType.U16, X.Add(X.Tid, X.I32(65530))));
        b.Store(dyn, X.Tid, X.Conv(IrType.I64, X.Neg(X.Tid)));
        IrExpr sum = X.Add(X.Add(X.Load(X.View(s1), X.Tid), X.Conv(IrType.I32, X.Load(X.View(s2), X.Tid))),
            X.Conv(IrType.I32, X.Load(dyn, X.Tid)));
        b.Store(X.View(o), X.GlobalX, sum);
        KernelVariant kernel = CpuKernelCompiler.Compile(b.Build("shared_sizes"));
        Assert.Equal(240, kernel.StaticSharedMemoryBytes); // 40 ints at 0, 40 ushorts at 160.

        using var cpu = new CpuAccelerator();
        using DeviceBuffer<int> output = cpu.Allocate<int>(3 * 40);
        cpu.Launch(kernel, new LaunchDimensions(3, 40, 40 * 8), [KernelArgument.Buffer(output.View, ScalarType.Int32)]);
        int[] result = output.ToArray();
        for (int t = 0; t < 3 * 40; t++)
        {
            int tid = t % 40;
            Assert.Equal(3 * tid + (ushort)(tid + 65530) - tid, result[t]);
        }
    }
}
