using RectifiedSpaAttn.Compute;
using RectifiedSpaAttn.Compute.Cpu;
using RectifiedSpaAttn.Generators.Ir;

namespace RectifiedSpaAttn.Generators.Tests.Cpu;

/// <summary>
/// The IR's arithmetic has C# meaning: wrapping, truncating division, masked shift counts, narrow types, saturating
/// float-to-int conversion, fmin/fmax. Each case is an IR expression of two ints and the C# it must equal.
/// </summary>
public sealed class CpuArithmeticTests
{
    private static readonly (string Name, Func<IrExpr, IrExpr, IrExpr> Ir, Func<int, int, long> Host)[] s_cases =
    [
        ("add wraps", (a, b) => X.Add(X.Mul(a, X.I32(1 << 20)), b), (a, b) => unchecked(a * (1 << 20) + b)),
        ("div truncates", X.Div, (a, b) => a / b),
        ("rem has the dividend's sign", X.Rem, (a, b) => a % b),
        ("unsigned div", (a, b) => X.Div(X.Conv(IrType.U32, a), X.Conv(IrType.U32, b)), (a, b) => (uint)a / (uint)b),
        ("shl masks the count", X.Shl, (a, b) => a << b),
        ("arithmetic shr", X.Shr, (a, b) => a >> b),
        ("logical shr", (a, b) => X.Shr(X.Conv(IrType.U32, a), X.Conv(IrType.U32, b)), (a, b) => (uint)a >> b),
        ("long shl masks to 63", (a, b) => X.Shl(X.Conv(IrType.I64, a), X.Conv(IrType.I64, X.Add(b, X.I32(32)))), (a, b) => (long)a << (b + 32)),
        ("byte add wraps", (a, b) => X.Add(X.Conv(IrType.U8, a), X.Conv(IrType.U8, b)), (a, b) => (byte)((byte)a + (byte)b)),
        ("ushort sub wraps", (a, b) => X.Sub(X.Conv(IrType.U16, a), X.Conv(IrType.U16, b)), (a, b) => (ushort)((ushort)a - (ushort)b)),
        ("uint neg", (a, _) => X.Neg(X.Conv(IrType.U32, a)), (a, _) => unchecked(0u - (uint)a)),
        ("ulong neg", (a, _) => X.Neg(X.Conv(IrType.U64, a)), (a, _) => unchecked((long)(0UL - (ulong)(long)a))),
        ("byte bitnot", (a, _) => X.BitNot(X.Conv(IrType.U8, a)), (a, _) => (byte)~(byte)a),
        ("int to ulong sign-extends", (a, _) => X.Conv(IrType.U64, a), (a, _) => unchecked((long)(ulong)(long)a)),
        ("uint to long zero-extends", (a, _) => X.Conv(IrType.I64, X.Conv(IrType.U32, a)), (a, _) => (uint)a),
        ("long to int truncates", (a, b) => X.Conv(IrType.I32, X.Mul(X.Conv(IrType.I64, a), X.I64(1L << 33 | 5))), (a, b) => unchecked((int)((long)a * (1L << 33 | 5)))),
        ("float to int truncates", (a, b) => X.Conv(IrType.I32, X.Div(X.Conv(IrType.F32, a), X.F32(7))), (a, b) => (int)(a / 7f)),
        ("float to int saturates", (a, _) => X.Conv(IrType.I32, X.Mul(X.Conv(IrType.F32, a), X.F32(1e30f))), (a, _) => (int)(a * 1e30f)),
        ("NaN to int is 0", (a, _) => X.Conv(IrType.I32, X.Mul(X.Conv(IrType.F32, a), X.F32(float.NaN))), (_, _) => 0),
        ("int to float rounds to even", (a, _) => X.Bitcast(IrType.I32, X.Conv(IrType.F32, X.Add(X.Mul(a, X.I32(1 << 12)), X.I32(1)))), (a, _) => BitConverter.SingleToInt32Bits(unchecked(a * (1 << 12) + 1))),
        ("abs of int.MinValue wraps", (a, _) => X.Math(IrMathOp.Abs, IrType.I32, X.Or(a, X.I32(int.MinValue))), (a, _) => unchecked(-(a | int.MinValue))),
        ("int min", (a, b) => X.Math(IrMathOp.Min, IrType.I32, a, b), (a, b) => Math.Min(a, b)),
        ("uint max", (a, b) => X.Math(IrMathOp.Max, IrType.U32, X.Conv(IrType.U32, a), X.Conv(IrType.U32, b)), (a, b) => Math.Max((uint)a, (uint)b)),
        ("fmin ignores NaN", (a, b) => X.Conv(IrType.I32, X.Math(IrMathOp.Min, IrType.F32, X.F32(float.NaN), X.Conv(IrType.F32, a))), (a, _) => (int)(float)a),
        ("fmax ignores NaN", (a, b) => X.Conv(IrType.I32, X.Math(IrMathOp.Max, IrType.F32, X.Conv(IrType.F32, b), X.F32(float.NaN))), (_, b) => (int)(float)b),
        ("float bits", (a, b) => X.Bitcast(IrType.I32, X.Div(X.Conv(IrType.F32, a), X.Conv(IrType.F32, b))), (a, b) => BitConverter.SingleToInt32Bits((float)a / b)),
        ("compare unsigned", (a, b) => X.Conv(IrType.I32, X.Lt(X.Conv(IrType.U32, a), X.Conv(IrType.U32, b))), (a, b) => (uint)a < (uint)b ? 1 : 0),
        ("bool xor", (a, b) => X.Conv(IrType.I32, X.Xor(X.Lt(a, X.I32(0)), X.Lt(b, X.I32(0)))), (a, b) => (a < 0) ^ (b < 0) ? 1 : 0),
        ("conditional", (a, b) => X.Cond(X.Gt(a, b), X.Sub(a, b), X.Neg(X.Sub(b, a))), (a, b) => a > b ? a - b : -(b - a)),
        ("double", (a, b) => X.Conv(IrType.I64, X.Math(IrMathOp.Floor, IrType.F64, X.Div(X.Conv(IrType.F64, a), X.Conv(IrType.F64, b)))), (a, b) => (long)Math.Floor((double)a / b)),
    ];

    [Fact]
    public void OperationsHaveTheirCSharpMeaning()
    {
        const int n = 256;
        int count = s_cases.Length;
        var b = new IrBuilder();
        IrParam ia = b.Buffer("a", IrType.I32), ib = b.Buffer("b", IrType.I32), o = b.Buffer("o", IrType.I64);
        IrLocal i = b.Let("i", X.GlobalX);
        IrLocal a = b.Let("x", X.Load(X.View(ia), X.Ref(i))), bb = b.Let("y", X.Load(X.View(ib), X.Ref(i)));
        for (int k = 0; k < count; k++)
        {
            IrExpr e = s_cases[k].Ir(X.Ref(a), X.Ref(bb));
            IrExpr wide = e.Type == IrType.U64 ? X.Bitcast(IrType.I64, e) : X.Conv(IrType.I64, e);
            b.Store(X.View(o), X.Add(X.Mul(X.Ref(i), X.I32(count)), X.I32(k)), wide);
        }
        KernelVariant kernel = CpuKernelCompiler.Compile(b.Build("arithmetic"));

        int[] xs = [.. TestData.Ints(n - 4, seed: 7, int.MinValue, int.MaxValue), int.MinValue, int.MaxValue, -1, 0];
        int[] ys = [.. TestData.Ints(n - 4, seed: 8, -40, 40).Select(v => v == 0 ? 3 : v), 3, -1, 7, 1];
        using var cpu = new CpuAccelerator();
        using DeviceBuffer<int> ab = cpu.Allocate<int>(n), bbuf = cpu.Allocate<int>(n);
        using DeviceBuffer<long> output = cpu.Allocate<long>(n * count);
        ab.CopyFrom(xs);
        bbuf.CopyFrom(ys);
        output.Fill(0x0BAD_F00D_DEAD_BEEF);
        cpu.Launch(kernel, new LaunchDimensions(n / 64, 64),
            [KernelArgument.Buffer(ab.View, ScalarType.Int32), KernelArgument.Buffer(bbuf.View, ScalarType.Int32), KernelArgument.Buffer(output.View, ScalarType.Int64)]);

        long[] result = output.ToArray();
        for (int t = 0; t < n; t++)
        {
            for (int k = 0; k < count; k++)
            {
                long expected = s_cases[k].Host(xs[t], ys[t]);
                Assert.True(expected == result[t * count + k], $"{s_cases[k].Name}: a={xs[t]}, b={ys[t]}: expected {expected}, got {result[t * count + k]}");
            }
        }
    }
}
