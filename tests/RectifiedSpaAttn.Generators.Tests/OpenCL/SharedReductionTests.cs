using RectifiedSpaAttn.Compute;
using RectifiedSpaAttn.Compute.OpenCL;
using RectifiedSpaAttn.Generators.Ir;
using static RectifiedSpaAttn.Generators.Tests.X;

namespace RectifiedSpaAttn.Generators.Tests.OpenCL;

/// <summary>A tree reduction in static shared memory with a barrier inside the loop; a second allocation shifts offsets.</summary>
public sealed class SharedReductionTests(ITestOutputHelper output)
{
    [Fact]
    public void GroupSumsMatchTheHost()
    {
        OpenCLAccelerator? cl = OpenCLTestDevice.RequireOrSkipOutsideCI(output);
        if (cl is null) return;
        var bld = new IrBuilder();
        IrParam xs = bld.Buffer("xs", IrType.F32), sums = bld.Buffer("sums", IrType.F32), counts = bld.Buffer("counts", IrType.I32);
        IrSharedAllocation flags = bld.Shared(IrType.U8, 3); // only here to put the next allocation at byte 16
        IrSharedAllocation sm = bld.Shared(IrType.F32, 256);
        IrSharedAllocation cnt = bld.Shared(IrType.I32, 256);
        IrLocal t = bld.Local("t", IrType.I32), gi = bld.Local("gi", IrType.I32), s = bld.Local("s", IrType.I32), v = bld.Local("v", IrType.F32);
        IrExpr inRange = Lt(Conv(IrType.I64, Ref(gi)), new IrViewLength(View(xs)));
        IrKernel kernel = bld.Build("shared_sum",
            Set(t, S(IrSpecialKind.GroupIdxX)),
            Set(gi, GlobalX),
            Set(v, Cond(inRange, Load(View(xs), Ref(gi)), F32(0))),
            Store(View(sm), Ref(t), Ref(v)),
            Store(View(cnt), Ref(t), Conv(IrType.I32, Cmp(IrCompareOp.Gt, Ref(v), F32(0)))),
            If(Eq(Ref(t), I32(0)), Store(View(flags), I32(2), U8(7))),
            GroupBarrier,
            Set(s, Div(S(IrSpecialKind.GroupDimX), I32(2))),
            For(Cmp(IrCompareOp.Gt, Ref(s), I32(0)), [Set(s, Shr(Ref(s), I32(1)))],
                If(Lt(Ref(t), Ref(s)),
                    Store(View(sm), Ref(t), Add(Load(View(sm), Ref(t)), Load(View(sm), Add(Ref(t), Ref(s))))),
                    Store(View(cnt), Ref(t), Add(Load(View(cnt), Ref(t)), Load(View(cnt), Add(Ref(t), Ref(s)))))),
                GroupBarrier),
            If(Eq(Ref(t), I32(0)),
                Store(View(sums), S(IrSpecialKind.GridIdxX), Load(View(sm), I32(0))),
                Store(View(counts), S(IrSpecialKind.GridIdxX), Add(Load(View(cnt), I32(0)), Conv(IrType.I32, Load(View(flags), I32(2)))))));
        Assert.Equal(16, sm.ByteOffset);
        KernelVariant variant = OpenCLKernelRunner.Variant(kernel, output);

        int seed = OpenCLKernelRunner.NewSeed();
        var rng = new Random(seed);
        int group = new[] { 64, 128, 256 }[rng.Next(3)], n = rng.Next(1, 5000), groups = (n + group - 1) / group;
        float[] x = [.. Enumerable.Range(0, n).Select(_ => (float)rng.Next(-1000, 1000))];
        using DeviceBuffer<float> xb = cl.Allocate<float>(n);
        using DeviceBuffer<float> sb = cl.Allocate<float>(groups);
        using DeviceBuffer<int> cb = cl.Allocate<int>(groups);
        xb.CopyFrom(x);
        sb.Fill(float.NaN);
        cb.Fill(-1);
        cl.Launch(variant, new LaunchDimensions(groups, group),
            [KernelArgument.Buffer(xb.View, ScalarType.Float32), KernelArgument.Buffer(sb.View, ScalarType.Float32), KernelArgument.Buffer(cb.View, ScalarType.Int32)]);
        float[] gotSums = sb.ToArray();
        int[] gotCounts = cb.ToArray();
        for (int g = 0; g < groups; g++)
        {
            var slice = x.Skip(g * group).Take(group).ToArray();
            Assert.True(slice.Sum() == gotSums[g], $"seed {seed}: group {g} of {group} summed to {gotSums[g]}, expected {slice.Sum()}");
            Assert.True(slice.Count(v => v > 0) + 7 == gotCounts[g], $"seed {seed}: group {g} counted {gotCounts[g]}");
        }
    }
}
