using RectifiedSpaAttn.Compute;
using RectifiedSpaAttn.Compute.OpenCL;
using RectifiedSpaAttn.Generators.Ir;
using static RectifiedSpaAttn.Generators.Tests.X;

namespace RectifiedSpaAttn.Generators.Tests.OpenCL;

/// <summary>Float math (F32 and F64), and every hardware index on a 3-D launch.</summary>
public sealed class MathAndIndexTests(ITestOutputHelper output)
{
    private sealed record Case(string Name, Func<IrExpr, IrExpr, IrExpr> Build, Func<float, float, double> Host, double Tolerance);

    // Tolerance 0: the result must be bit-exact (these operations are exact in IEEE arithmetic).
    private static readonly Case[] Cases =
    [
        new("add", (f, g) => Add(f, g), (f, g) => f + g, 0),
        new("sub", (f, g) => Sub(f, g), (f, g) => f - g, 0),
        new("mul", (f, g) => Mul(f, g), (f, g) => f * g, 0),
        new("div", (f, g) => Div(f, g), (f, g) => f / g, 1e-6),
        new("rem", (f, g) => Rem(f, g), (f, g) => f % g, 0),
        new("neg", (f, g) => Neg(f), (f, g) => -f, 0),
        new("abs", (f, g) => Math(IrMathOp.Abs, f), (f, g) => MathF.Abs(f), 0),
        new("min", (f, g) => Math(IrMathOp.Min, f, g), (f, g) => float.IsNaN(g) ? f : float.IsNaN(f) ? g : MathF.Min(f, g), 0),
        new("max", (f, g) => Math(IrMathOp.Max, f, g), (f, g) => float.IsNaN(g) ? f : float.IsNaN(f) ? g : MathF.Max(f, g), 0),
        // C# never fuses a*b+c; OpenCL C may unless FP_CONTRACT is off. Random inputs expose a fused rounding.
        new("mul add", (f, g) => Add(Mul(f, g), F32(-0.3f)), (f, g) => f * g + -0.3f, 0),
        new("fma", (f, g) => Math(IrMathOp.Fma, f, g, F32(0.3f)), (f, g) => MathF.FusedMultiplyAdd(f, g, 0.3f), 0),
        new("floor", (f, g) => Math(IrMathOp.Floor, Mul(f, F32(3f))), (f, g) => MathF.Floor(f * 3f), 0),
        new("ceil", (f, g) => Math(IrMathOp.Ceil, Mul(f, F32(3f))), (f, g) => MathF.Ceiling(f * 3f), 0),
        new("sqrt", (f, g) => Math(IrMathOp.Sqrt, Math(IrMathOp.Abs, f)), (f, g) => System.Math.Sqrt(System.Math.Abs(f)), 1e-6),
        new("rsqrt", (f, g) => Math(IrMathOp.Rsqrt, Add(Math(IrMathOp.Abs, f), F32(0.5f))), (f, g) => 1 / System.Math.Sqrt(System.Math.Abs(f) + 0.5f), 1e-5),
        new("exp", (f, g) => Math(IrMathOp.Exp, f), (f, g) => System.Math.Exp(f), 1e-5),
        new("exp2", (f, g) => Math(IrMathOp.Exp2, f), (f, g) => System.Math.Pow(2, f), 1e-5),
        new("exp2 fast", (f, g) => Math(IrMathOp.Exp2Fast, f), (f, g) => System.Math.Pow(2, f), 1e-3),
        new("rcp fast", (f, g) => Math(IrMathOp.RcpFast, Add(Math(IrMathOp.Abs, f), F32(0.5f))), (f, g) => 1 / (System.Math.Abs(f) + 0.5f), 1e-3),
        new("log", (f, g) => Math(IrMathOp.Log, Add(Math(IrMathOp.Abs, f), F32(0.5f))), (f, g) => System.Math.Log(System.Math.Abs(f) + 0.5f), 1e-5),
        new("log2", (f, g) => Math(IrMathOp.Log2, Add(Math(IrMathOp.Abs, f), F32(0.5f))), (f, g) => System.Math.Log2(System.Math.Abs(f) + 0.5f), 1e-5),
        new("sin", (f, g) => Math(IrMathOp.Sin, f), (f, g) => System.Math.Sin(f), 1e-5),
        new("cos", (f, g) => Math(IrMathOp.Cos, f), (f, g) => System.Math.Cos(f), 1e-5),
        new("tanh", (f, g) => Math(IrMathOp.Tanh, f), (f, g) => System.Math.Tanh(f), 1e-5),
        new("f64", (f, g) => Conv(IrType.F32, Math(IrMathOp.Exp, Mul(Conv(IrType.F64, f), F64(1.0 / 3)))), (f, g) => (float)System.Math.Exp(f * (1.0 / 3)), 1e-6),
        new("nan const", (f, g) => Add(f, F32(float.NaN)), (f, g) => float.NaN, 0),
        new("-inf const", (f, g) => Math(IrMathOp.Max, f, F32(float.NegativeInfinity)), (f, g) => float.IsNaN(f) ? float.NegativeInfinity : f, 0), // fmax: NaN loses
    ];

    [Fact]
    public void FloatMathMatchesDotNet()
    {
        OpenCLAccelerator? cl = OpenCLTestDevice.RequireOrSkipOutsideCI(output);
        if (cl is null) return;
        var bld = new IrBuilder();
        IrParam input = bld.Buffer("input", IrType.F32), outs = bld.Buffer("outs", IrType.F32);
        IrLocal i = bld.Local("i", IrType.I32), f = bld.Local("f", IrType.F32), g = bld.Local("g", IrType.F32);
        var body = new List<IrStmt>
        {
            Set(i, GlobalX),
            If(Not(Lt(Conv(IrType.I64, Mul(Ref(i), I32(2))), new IrBufferLength(input))), Return),
            Set(f, Load(View(input), Mul(Ref(i), I32(2)))),
            Set(g, Load(View(input), Add(Mul(Ref(i), I32(2)), I32(1)))),
        };
        for (int k = 0; k < Cases.Length; k++)
            body.Add(Store(View(outs), Add(Mul(Ref(i), I32(Cases.Length)), I32(k)), Cases[k].Build(Ref(f), Ref(g))));
        IrKernel kernel = bld.Build("float_math", [.. body]);
        Assert.Contains("cl_khr_fp64", OpenCLBackendTextOf(kernel));
        KernelVariant variant = OpenCLKernelRunner.Variant(kernel, output);

        int seed = OpenCLKernelRunner.NewSeed();
        var rng = new Random(seed);
        int n = 300;
        float[] values = new float[2 * n];
        for (int k = 0; k < 2 * n; k++) values[k] = k % 17 == 5 ? float.NaN : (float)(rng.NextDouble() * 8 - 4);
        using DeviceBuffer<float> ib = cl.Allocate<float>(values.Length);
        using DeviceBuffer<float> ob = cl.Allocate<float>((long)n * Cases.Length);
        ib.CopyFrom(values);
        ob.Fill(-12345f);
        cl.Launch(variant, new LaunchDimensions((n + 31) / 32, 32),
            [KernelArgument.Buffer(ib.View, ScalarType.Float32), KernelArgument.Buffer(ob.View, ScalarType.Float32)]);
        float[] got = ob.ToArray();
        for (int k = 0; k < n; k++)
            for (int c = 0; c < Cases.Length; c++)
            {
                float fv = values[2 * k], gv = values[2 * k + 1];
                double expected = Cases[c].Host(fv, gv);
                float actual = got[k * Cases.Length + c];
                string what = $"seed {seed}: {Cases[c].Name}({fv}, {gv}) = {actual}, expected {expected}";
                if (double.IsNaN(expected)) Assert.True(float.IsNaN(actual), what);
                else if (Cases[c].Tolerance == 0) Assert.True((float)expected == actual, what);
                else Assert.True(System.Math.Abs(actual - expected) <= Cases[c].Tolerance * System.Math.Max(1, System.Math.Abs(expected)), what);
            }
    }

    private static string OpenCLBackendTextOf(IrKernel kernel) => Backends.OpenCL.OpenCLBackend.Emit(kernel);

    [Fact]
    public void EveryIndexOnA3DLaunch()
    {
        OpenCLAccelerator? cl = OpenCLTestDevice.RequireOrSkipOutsideCI(output);
        if (cl is null) return;
        IrSpecialKind[] kinds = Enum.GetValues<IrSpecialKind>();
        var bld = new IrBuilder();
        IrParam outs = bld.Buffer("outs", IrType.I32);
        IrLocal gx = bld.Local("gx", IrType.I32), gy = bld.Local("gy", IrType.I32), gz = bld.Local("gz", IrType.I32), row = bld.Local("row", IrType.I32);
        IrExpr Sp(IrSpecialKind k) => S(k);
        var body = new List<IrStmt>
        {
            Set(gx, Add(Mul(Sp(IrSpecialKind.GridIdxX), Sp(IrSpecialKind.GroupDimX)), Sp(IrSpecialKind.GroupIdxX))),
            Set(gy, Add(Mul(Sp(IrSpecialKind.GridIdxY), Sp(IrSpecialKind.GroupDimY)), Sp(IrSpecialKind.GroupIdxY))),
            Set(gz, Add(Mul(Sp(IrSpecialKind.GridIdxZ), Sp(IrSpecialKind.GroupDimZ)), Sp(IrSpecialKind.GroupIdxZ))),
            Set(row, Add(Mul(Add(Mul(Ref(gz), Mul(Sp(IrSpecialKind.GridDimY), Sp(IrSpecialKind.GroupDimY))), Ref(gy)),
                Mul(Sp(IrSpecialKind.GridDimX), Sp(IrSpecialKind.GroupDimX))), Ref(gx))),
        };
        for (int k = 0; k < kinds.Length; k++)
            body.Add(Store(View(outs), Add(Mul(Ref(row), I32(kinds.Length)), I32(k)), Sp(kinds[k])));
        KernelVariant variant = OpenCLKernelRunner.Variant(bld.Build("indices", [.. body]), output);

        var grid = new Dim3(3, 2, 2);
        var group = new Dim3(8, 4, 3);
        int total = (int)(grid.Size * group.Size);
        using DeviceBuffer<int> ob = cl.Allocate<int>((long)total * kinds.Length);
        ob.Fill(-777);
        cl.Launch(variant, new LaunchDimensions(grid, group), [KernelArgument.Buffer(ob.View, ScalarType.Int32)]);
        int[] got = ob.ToArray();
        for (int bz = 0; bz < grid.Z; bz++) for (int by = 0; by < grid.Y; by++) for (int bx = 0; bx < grid.X; bx++)
        for (int tz = 0; tz < group.Z; tz++) for (int ty = 0; ty < group.Y; ty++) for (int tx = 0; tx < group.X; tx++)
        {
            int x = bx * group.X + tx, y = by * group.Y + ty, z = bz * group.Z + tz;
            int r = (z * grid.Y * group.Y + y) * grid.X * group.X + x;
            int lin = tx + group.X * (ty + group.Y * tz);
            int[] expected = [bx, by, bz, grid.X, grid.Y, grid.Z, tx, ty, tz, group.X, group.Y, group.Z, lin, lin % 32, lin / 32];
            for (int k = 0; k < kinds.Length; k++)
                Assert.True(expected[k] == got[r * kinds.Length + k], $"{kinds[k]} of thread ({x},{y},{z}) = {got[r * kinds.Length + k]}, expected {expected[k]}");
        }
    }
}
