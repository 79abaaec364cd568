using RectifiedSpaAttn.Compute;
using RectifiedSpaAttn.Compute.OpenCL;
using RectifiedSpaAttn.Generators.Ir;
using static RectifiedSpaAttn.Generators.Tests.X;

namespace RectifiedSpaAttn.Generators.Tests.OpenCL;

/// <summary>One thread per element, with the bounds check against the view's length; views passed as sub-views.</summary>
public sealed class ElementwiseTests(ITestOutputHelper output)
{
    [Fact]
    public void AxpbWritesExactlyItsRange()
    {
        OpenCLAccelerator? cl = OpenCLTestDevice.RequireOrSkipOutsideCI(output);
        if (cl is null) return;
        var b = new IrBuilder();
        IrParam x = b.Buffer("x", IrType.F32), y = b.Buffer("y", IrType.F32), a = b.Scalar("a", IrType.F32), c = b.Scalar("b", IrType.F32);
        IrLocal i = b.Local("i", IrType.I32);
        IrKernel kernel = b.Build("axpb",
            Set(i, GlobalX),
            If(Not(Lt(Conv(IrType.I64, Ref(i)), new IrViewLength(View(y)))), Return),
            Store(View(y), Ref(i), Add(Mul(Arg(a), Load(View(x), Ref(i))), Arg(c))));
        KernelVariant variant = OpenCLKernelRunner.Variant(kernel, output);

        int seed = OpenCLKernelRunner.NewSeed();
        var rng = new Random(seed);
        int n = rng.Next(1, 3000), xOff = rng.Next(0, 40), yOff = rng.Next(0, 40), group = new[] { 32, 64, 128 }[rng.Next(3)];
        float av = rng.Next(-4, 5), bv = rng.Next(-100, 100);
        float[] xs = [.. Enumerable.Range(0, n).Select(_ => (float)rng.Next(-1000, 1000))];
        using DeviceBuffer<float> xb = cl.Allocate<float>(xOff + n + 7);
        using DeviceBuffer<float> yb = cl.Allocate<float>(yOff + n + 7);
        xb.Fill(float.NaN);
        yb.Fill(float.NaN);
        xb.CopyFrom(xs, xOff);
        cl.Launch(variant, new LaunchDimensions((n + group - 1) / group, group),
        [
            KernelArgument.Buffer(xb.SubView(xOff, n), ScalarType.Float32), KernelArgument.Buffer(yb.SubView(yOff, n), ScalarType.Float32),
            KernelArgument.From(av), KernelArgument.From(bv),
        ]);
        float[] got = yb.ToArray();
        for (int k = 0; k < got.Length; k++)
        {
            bool inside = k >= yOff && k < yOff + n;
            if (inside) Assert.True(av * xs[k - yOff] + bv == got[k], $"seed {seed}: y[{k - yOff}] = {got[k]}, expected {av * xs[k - yOff] + bv}");
            else Assert.True(float.IsNaN(got[k]), $"seed {seed}: element {k} outside the view was written");
        }
    }
}
