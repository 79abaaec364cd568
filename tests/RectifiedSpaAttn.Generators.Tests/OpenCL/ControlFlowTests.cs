using RectifiedSpaAttn.Compute;
using RectifiedSpaAttn.Compute.OpenCL;
using RectifiedSpaAttn.Generators.Ir;
using static RectifiedSpaAttn.Generators.Tests.X;

namespace RectifiedSpaAttn.Generators.Tests.OpenCL;

/// <summary>Nested loops with break, continue (which must still run the step) and an early return, per thread.</summary>
public sealed class ControlFlowTests(ITestOutputHelper output)
{
    /// <summary>The kernel's logic in C#: the reference.</summary>
    private static int? Host(int i, int x, int limit)
    {
        if (i % 7 == 3) return null; // returns before storing
        int acc = 0;
        for (int j = 0; j < (x & 63); j++)
        {
            if (j % 3 == 0) continue;
            if (acc > limit) break;
            int k = 0;
            while (true)
            {
                k++;
                if (k >= j % 5) break;
                if (k == 2) continue;
                acc += k * 100;
            }
            acc += j;
        }
        return acc;
    }

    [Fact]
    public void BreakContinueAndReturnMatchCSharp()
    {
        OpenCLAccelerator? cl = OpenCLTestDevice.RequireOrSkipOutsideCI(output);
        if (cl is null) return;
        var bld = new IrBuilder();
        IrParam xs = bld.Buffer("xs", IrType.I32), outs = bld.Buffer("outs", IrType.I32), limit = bld.Scalar("limit", IrType.I32);
        IrLocal i = bld.Local("i", IrType.I32), acc = bld.Local("acc", IrType.I32), j = bld.Local("j", IrType.I32), k = bld.Local("k", IrType.I32);
        IrKernel kernel = bld.Build("control_flow",
            Set(i, GlobalX),
            If(Not(Lt(Conv(IrType.I64, Ref(i)), new IrViewLength(View(xs)))), Return),
            If(Eq(Rem(Ref(i), I32(7)), I32(3)), Return),
            Set(acc, I32(0)),
            Set(j, I32(0)),
            For(Lt(Ref(j), And(Load(View(xs), Ref(i)), I32(63))), [Set(j, Add(Ref(j), I32(1)))],
                If(Eq(Rem(Ref(j), I32(3)), I32(0)), Continue),
                If(Cmp(IrCompareOp.Gt, Ref(acc), Arg(limit)), Break),
                Set(k, I32(0)),
                For(null, [],
                    Set(k, Add(Ref(k), I32(1))),
                    If(Cmp(IrCompareOp.Ge, Ref(k), Rem(Ref(j), I32(5))), Break),
                    If(Eq(Ref(k), I32(2)), Continue),
                    Set(acc, Add(Ref(acc), Mul(Ref(k), I32(100))))),
                Set(acc, Add(Ref(acc), Ref(j)))),
            Store(View(outs), Ref(i), Ref(acc)));
        KernelVariant variant = OpenCLKernelRunner.Variant(kernel, output);

        int seed = OpenCLKernelRunner.NewSeed();
        var rng = new Random(seed);
        int n = 1000, lim = rng.Next(200, 3000);
        int[] x = [.. Enumerable.Range(0, n).Select(_ => rng.Next())];
        using DeviceBuffer<int> xb = cl.Allocate<int>(n);
        using DeviceBuffer<int> ob = cl.Allocate<int>(n);
        xb.CopyFrom(x);
        ob.Fill(int.MinValue);
        cl.Launch(variant, new LaunchDimensions((n + 63) / 64, 64),
            [KernelArgument.Buffer(xb.View, ScalarType.Int32), KernelArgument.Buffer(ob.View, ScalarType.Int32), KernelArgument.From(lim)]);
        int[] got = ob.ToArray();
        for (int t = 0; t < n; t++)
        {
            int expected = Host(t, x[t], lim) ?? int.MinValue;
            Assert.True(expected == got[t], $"seed {seed}: thread {t} (x={x[t]}, limit={lim}) got {got[t]}, expected {expected}");
        }
    }
}
