using RectifiedSpaAttn.Compute;
using RectifiedSpaAttn.Compute.OpenCL;
using RectifiedSpaAttn.Generators.Ir;
using static RectifiedSpaAttn.Generators.Tests.X;

namespace RectifiedSpaAttn.Generators.Tests.OpenCL;

/// <summary>
/// Every unary, binary, compare, conditional, convert, bitcast and integer math node on random inputs, each result's
/// bits compared with C#'s own evaluation of the same expression (wrapping, masked shifts, truncation, NaN compares).
/// </summary>
public sealed class OperatorTests(ITestOutputHelper output)
{
    private sealed record Case(string Name, Func<IrExpr, IrExpr, IrExpr, IrExpr, IrExpr> Build, Func<int, int, float, float, ulong> Host);

    private static IrExpr U(IrExpr e) => Conv(IrType.U32, e);
    private static IrExpr L(IrExpr e) => Conv(IrType.I64, e);
    private static IrExpr Bits(IrExpr f) => Bitcast(IrType.U32, f);
    private static ulong B(bool v) => v ? 1UL : 0UL;
    private static ulong Fb(float v) => BitConverter.SingleToUInt32Bits(v);

    private static readonly Case[] Cases =
    [
        new("add", (a, b, f, g) => Add(a, b), (a, b, f, g) => (ulong)(long)unchecked(a + b)),
        new("sub", (a, b, f, g) => Sub(a, b), (a, b, f, g) => (ulong)(long)unchecked(a - b)),
        new("mul", (a, b, f, g) => Mul(a, b), (a, b, f, g) => (ulong)(long)unchecked(a * b)),
        new("div", (a, b, f, g) => Div(a, b), (a, b, f, g) => (ulong)(long)(a / b)),
        new("rem", (a, b, f, g) => Rem(a, b), (a, b, f, g) => (ulong)(long)(a % b)),
        new("and", (a, b, f, g) => And(a, b), (a, b, f, g) => (ulong)(long)(a & b)),
        new("or", (a, b, f, g) => Or(a, b), (a, b, f, g) => (ulong)(long)(a | b)),
        new("xor", (a, b, f, g) => Xor(a, b), (a, b, f, g) => (ulong)(long)(a ^ b)),
        new("shl", (a, b, f, g) => Shl(a, b), (a, b, f, g) => (ulong)(long)(a << b)),
        new("shr", (a, b, f, g) => Shr(a, b), (a, b, f, g) => (ulong)(long)(a >> b)),
        new("neg", (a, b, f, g) => Neg(a), (a, b, f, g) => (ulong)(long)unchecked(-a)),
        new("bitnot", (a, b, f, g) => BitNot(a), (a, b, f, g) => (ulong)(long)~a),
        new("udiv", (a, b, f, g) => Div(U(a), U(b)), (a, b, f, g) => (uint)a / (uint)b),
        new("urem", (a, b, f, g) => Rem(U(a), U(b)), (a, b, f, g) => (uint)a % (uint)b),
        new("ushr", (a, b, f, g) => Shr(U(a), U(b)), (a, b, f, g) => (uint)a >> b),
        new("ushl", (a, b, f, g) => Shl(U(a), U(b)), (a, b, f, g) => (uint)a << b),
        new("uneg", (a, b, f, g) => Neg(U(a)), (a, b, f, g) => unchecked(0u - (uint)a)),
        new("lmul", (a, b, f, g) => Mul(Shl(L(a), I64(20)), L(b)), (a, b, f, g) => (ulong)unchecked(((long)a << 20) * b)),
        new("lshr", (a, b, f, g) => Shr(Mul(L(a), L(b)), L(b)), (a, b, f, g) => (ulong)(((long)a * b) >> b)),
        new("lshl", (a, b, f, g) => Shl(L(a), L(b)), (a, b, f, g) => (ulong)((long)a << b)),
        new("ulshr", (a, b, f, g) => Shr(Conv(IrType.U64, L(a)), Conv(IrType.U64, L(b))), (a, b, f, g) => (ulong)(long)a >> b),
        new("u8add", (a, b, f, g) => Add(Conv(IrType.U8, a), Conv(IrType.U8, b)), (a, b, f, g) => (byte)(a + b)),
        new("u8mul", (a, b, f, g) => Mul(Conv(IrType.U8, a), Conv(IrType.U8, b)), (a, b, f, g) => (byte)(a * b)),
        new("u8not", (a, b, f, g) => BitNot(Conv(IrType.U8, a)), (a, b, f, g) => (byte)~a),
        new("u16sub", (a, b, f, g) => Sub(Conv(IrType.U16, a), Conv(IrType.U16, b)), (a, b, f, g) => (ushort)(a - b)),
        new("u16shl", (a, b, f, g) => Shl(Conv(IrType.U16, a), U16(3)), (a, b, f, g) => (ushort)(a << 3)),
        new("eq", (a, b, f, g) => Cmp(IrCompareOp.Eq, a, b), (a, b, f, g) => B(a == b)),
        new("ne", (a, b, f, g) => Cmp(IrCompareOp.Ne, a, b), (a, b, f, g) => B(a != b)),
        new("lt", (a, b, f, g) => Cmp(IrCompareOp.Lt, a, b), (a, b, f, g) => B(a < b)),
        new("le", (a, b, f, g) => Cmp(IrCompareOp.Le, a, b), (a, b, f, g) => B(a <= b)),
        new("gt", (a, b, f, g) => Cmp(IrCompareOp.Gt, a, b), (a, b, f, g) => B(a > b)),
        new("ge", (a, b, f, g) => Cmp(IrCompareOp.Ge, a, b), (a, b, f, g) => B(a >= b)),
        new("ult", (a, b, f, g) => Lt(U(a), U(b)), (a, b, f, g) => B((uint)a < (uint)b)),
        new("feq", (a, b, f, g) => Cmp(IrCompareOp.Eq, f, g), (a, b, f, g) => B(f == g)),
        new("fne", (a, b, f, g) => Cmp(IrCompareOp.Ne, f, g), (a, b, f, g) => B(f != g)),
        new("flt", (a, b, f, g) => Cmp(IrCompareOp.Lt, f, g), (a, b, f, g) => B(f < g)),
        new("fge", (a, b, f, g) => Cmp(IrCompareOp.Ge, f, g), (a, b, f, g) => B(f >= g)),
        new("bool ops", (a, b, f, g) => Xor(And(Lt(a, b), Not(Eq(a, I32(0)))), Or(Lt(f, g), Lt(b, I32(0)))),
            (a, b, f, g) => B(((a < b) & !(a == 0)) ^ ((f < g) | (b < 0)))),
        new("cond", (a, b, f, g) => Cond(Lt(a, b), a, b), (a, b, f, g) => (ulong)(long)(a < b ? a : b)),
        new("abs", (a, b, f, g) => Math(IrMathOp.Abs, a), (a, b, f, g) => (ulong)(long)(a == int.MinValue ? a : System.Math.Abs(a))),
        new("min", (a, b, f, g) => Math(IrMathOp.Min, a, b), (a, b, f, g) => (ulong)(long)System.Math.Min(a, b)),
        new("max", (a, b, f, g) => Math(IrMathOp.Max, a, b), (a, b, f, g) => (ulong)(long)System.Math.Max(a, b)),
        new("umin", (a, b, f, g) => Math(IrMathOp.Min, U(a), U(b)), (a, b, f, g) => System.Math.Min((uint)a, (uint)b)),
        new("f2i", (a, b, f, g) => Conv(IrType.I32, Mul(f, F32(1000f))), (a, b, f, g) => (ulong)(long)(int)(f * 1000f)),
        new("f2l", (a, b, f, g) => Conv(IrType.I64, Mul(f, F32(1e12f))), (a, b, f, g) => (ulong)(long)(f * 1e12f)),
        new("f2u8", (a, b, f, g) => Conv(IrType.U8, Mul(Math(IrMathOp.Abs, f), F32(100f))), (a, b, f, g) => (byte)(System.Math.Abs(f) * 100f)),
        // Out of range for the small types: .NET goes through int and keeps the low bits ((byte)-2.75f is 254).
        new("f2u8 wrap", (a, b, f, g) => Conv(IrType.U8, Mul(f, F32(1000f))), (a, b, f, g) => (byte)(f * 1000f)),
        new("f2u16 wrap", (a, b, f, g) => Conv(IrType.U16, Mul(f, F32(100000f))), (a, b, f, g) => (ushort)(f * 100000f)),
        new("i2f", (a, b, f, g) => Bits(Conv(IrType.F32, a)), (a, b, f, g) => Fb(a)),
        new("u2f", (a, b, f, g) => Bits(Conv(IrType.F32, U(a))), (a, b, f, g) => Fb((uint)a)),
        new("l2f", (a, b, f, g) => Bits(Conv(IrType.F32, Mul(L(a), L(b)))), (a, b, f, g) => Fb((long)a * b)),
        new("l2i", (a, b, f, g) => Conv(IrType.I32, Mul(L(a), L(b))), (a, b, f, g) => (ulong)(long)unchecked((int)((long)a * b))),
        new("u2l", (a, b, f, g) => Conv(IrType.I64, U(a)), (a, b, f, g) => (uint)a),
        new("b2i", (a, b, f, g) => Conv(IrType.I32, Lt(a, b)), (a, b, f, g) => B(a < b)),
        new("i2b", (a, b, f, g) => Conv(IrType.Bool, And(a, I32(3))), (a, b, f, g) => B((a & 3) != 0)),
        new("f bits", (a, b, f, g) => Bitcast(IrType.I32, f), (a, b, f, g) => (ulong)(long)BitConverter.SingleToInt32Bits(f)),
        new("bits f", (a, b, f, g) => Bits(Add(Bitcast(IrType.F32, U(Or(And(a, I32(0x007fffff)), I32(0x3f800000)))), F32(1f))),
            (a, b, f, g) => Fb(BitConverter.Int32BitsToSingle((a & 0x007fffff) | 0x3f800000) + 1f)),
        // Correctly rounded, as C# and PTX's div.rn/sqrt.rn (OpenCL C alone allows 2.5 and 3 ulp): bits must match.
        new("fdiv bits", (a, b, f, g) => Bits(Div(Conv(IrType.F32, a), Add(Math(IrMathOp.Abs, f), F32(0.25f)))),
            (a, b, f, g) => Fb((float)a / (System.Math.Abs(f) + 0.25f))),
        new("fsqrt bits", (a, b, f, g) => Bits(Math(IrMathOp.Sqrt, Conv(IrType.F32, U(a)))), (a, b, f, g) => Fb(MathF.Sqrt((uint)a))),
        new("const", (a, b, f, g) => Add(Mul(a, I32(int.MinValue)), I32(-7)), (a, b, f, g) => (ulong)(long)unchecked(a * int.MinValue - 7)),
    ];

    [Fact]
    public void EveryOperatorMatchesCSharp()
    {
        OpenCLAccelerator? cl = OpenCLTestDevice.RequireOrSkipOutsideCI(output);
        if (cl is null) return;
        var bld = new IrBuilder();
        IrParam ints = bld.Buffer("ints", IrType.I32), floats = bld.Buffer("floats", IrType.F32), outs = bld.Buffer("outs", IrType.U64);
        IrParam count = bld.Scalar("count", IrType.I32);
        IrLocal i = bld.Local("i", IrType.I32), a = bld.Local("a", IrType.I32), b = bld.Local("b", IrType.I32);
        IrLocal f = bld.Local("f", IrType.F32), g = bld.Local("g", IrType.F32);
        var body = new List<IrStmt>
        {
            Set(i, GlobalX),
            If(Not(Lt(Ref(i), Arg(count))), Return),
            Set(a, Load(View(ints), Mul(Ref(i), I32(2)))),
            Set(b, Load(View(ints), Add(Mul(Ref(i), I32(2)), I32(1)))),
            Set(f, Load(View(floats), Mul(Ref(i), I32(2)))),
            Set(g, Load(View(floats), Add(Mul(Ref(i), I32(2)), I32(1)))),
        };
        for (int k = 0; k < Cases.Length; k++)
        {
            IrExpr e = Cases[k].Build(Ref(a), Ref(b), Ref(f), Ref(g));
            IrExpr widened = e.Type == IrType.U64 ? e : Conv(IrType.U64, e.Type == IrType.I32 ? Conv(IrType.I64, e) : e);
            body.Add(Store(View(outs), Add(Mul(Ref(i), I32(Cases.Length)), I32(k)), widened));
        }
        KernelVariant variant = OpenCLKernelRunner.Variant(bld.Build("operators", [.. body]), output);

        int seed = OpenCLKernelRunner.NewSeed();
        var rng = new Random(seed);
        int n = 500;
        int[] iv = new int[2 * n];
        float[] fv = new float[2 * n];
        for (int k = 0; k < n; k++)
        {
            iv[2 * k] = k % 7 == 0 ? int.MinValue + rng.Next(3) : rng.Next(int.MinValue, int.MaxValue);
            int d = rng.Next(4) == 0 ? rng.Next(-70, 70) : rng.Next(int.MinValue, int.MaxValue);
            iv[2 * k + 1] = d == 0 || d == -1 ? 3 : d; // no division by zero or int.MinValue / -1
            if (k % 5 == 0) iv[2 * k + 1] = iv[2 * k]; // equal operands for the compares
            fv[2 * k] = (float)(rng.NextDouble() * 4 - 2);
            fv[2 * k + 1] = k % 11 == 0 ? float.NaN : k % 13 == 0 ? fv[2 * k] : (float)(rng.NextDouble() * 4 - 2);
        }
        using DeviceBuffer<int> ib = cl.Allocate<int>(iv.Length);
        using DeviceBuffer<float> fb = cl.Allocate<float>(fv.Length);
        using DeviceBuffer<ulong> ob = cl.Allocate<ulong>((long)n * Cases.Length);
        ib.CopyFrom(iv);
        fb.CopyFrom(fv);
        ob.Fill(0xDEADBEEFDEADBEEFUL);
        cl.Launch(variant, new LaunchDimensions((n + 63) / 64, 64),
        [
            KernelArgument.Buffer(ib.View, ScalarType.Int32), KernelArgument.Buffer(fb.View, ScalarType.Float32),
            KernelArgument.Buffer(ob.View, ScalarType.UInt64), KernelArgument.From(n),
        ]);
        ulong[] got = ob.ToArray();
        for (int k = 0; k < n; k++)
            for (int c = 0; c < Cases.Length; c++)
            {
                ulong expected = Cases[c].Host(iv[2 * k], iv[2 * k + 1], fv[2 * k], fv[2 * k + 1]);
                ulong actual = got[k * Cases.Length + c];
                Assert.True(expected == actual,
                    $"seed {seed}: {Cases[c].Name}(a={iv[2 * k]}, b={iv[2 * k + 1]}, f={fv[2 * k]}, g={fv[2 * k + 1]}) = 0x{actual:x}, expected 0x{expected:x}");
            }
    }
}
