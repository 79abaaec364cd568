using RectifiedSpaAttn.Generators.Backends.Ptx;
using RectifiedSpaAttn.Generators.Ir;
using static RectifiedSpaAttn.Generators.Tests.Ptx.PtxTestSupport;

namespace RectifiedSpaAttn.Generators.Tests.Ptx;

/// <summary>Integer and float operations with C# meaning, conversions, 16-bit floats and math intrinsics.</summary>
public class PtxNumericTests(ITestOutputHelper output)
{
    /// <summary>bf16/f16 loads widened to f32, f32 results rounded back, and packing/unpacking of pairs.</summary>
    internal static IrKernel Bf16AndF16LoadConvertStoreKernel()
    {
        var k = new IrBuilder();
        IrParam xb = k.Buffer("xb", IrType.BF16), xh = k.Buffer("xh", IrType.F16), ob = k.Buffer("ob", IrType.BF16),
            oh = k.Buffer("oh", IrType.F16), packed = k.Buffer("packed", IrType.U32), of = k.Buffer("of", IrType.F32);
        IrParam lo = k.Scalar("lo", IrType.F32), hi = k.Scalar("hi", IrType.F32);
        IrLocal i = k.Local("i", IrType.I32), f = k.Local("f", IrType.F32), g = k.Local("g", IrType.F32), pb = k.Local("pb", IrType.U32), ph = k.Local("ph", IrType.U32);
        IrView xbv = X.View(xb), xhv = X.View(xh), obv = X.View(ob), ohv = X.View(oh),
            pv = X.View(packed), ofv = X.View(of);
        k.Assign(i, X.GlobalX);
        k.Assign(f, X.Conv(IrType.F32, X.Load(xbv, X.Wide(X.Ref(i)))));
        k.Assign(g, X.Conv(IrType.F32, X.Load(xhv, X.Wide(X.Ref(i)))));
        k.Store(obv, X.Wide(X.Ref(i)), X.Conv(IrType.BF16, X.Mul(X.Ref(f), X.F32(2))));
        k.Store(ohv, X.Wide(X.Ref(i)), X.Conv(IrType.F16, X.Add(X.Ref(g), X.F32(1))));
        k.Assign(pb, X.Math(IrMathOp.PackBF16, IrType.U32, X.Arg(lo), X.Arg(hi)));
        k.Assign(ph, X.Math(IrMathOp.PackF16, IrType.U32, X.Arg(lo), X.Arg(hi)));
        k.Store(pv, X.I64(0), X.Ref(pb));
        k.Store(pv, X.I64(1), X.Ref(ph));
        k.Store(ofv, X.I64(0), X.Math(IrMathOp.UnpackBF16, IrType.F32, X.Ref(pb), X.Bool(false)));
        k.Store(ofv, X.I64(1), X.Math(IrMathOp.UnpackBF16, IrType.F32, X.Ref(pb), X.Bool(true)));
        k.Store(ofv, X.I64(2), X.Math(IrMathOp.UnpackF16, IrType.F32, X.Ref(ph), X.Bool(false)));
        k.Store(ofv, X.I64(3), X.Math(IrMathOp.UnpackF16, IrType.F32, X.Ref(ph), X.Bool(true)));
        return k.Build("halves");
    }

    [Fact]
    public void Bf16AndF16LoadConvertStore()
    {
        string ptx = Compile(Bf16AndF16LoadConvertStoreKernel(), output);

        AssertInstruction(ptx, $@"ld\.global\.b16 {RS}, \[{RD}\]");
        AssertInstruction(ptx, $@"st\.global\.b16 \[{RD}\], {RS}");
        // bf16 -> f32 on sm_80: the 16 bits become the upper half of the f32.
        AssertNoInstruction(ptx, @"cvt\.f32\.bf16.*");
        AssertInstruction(ptx, $@"cvt\.u32\.u16 {R}, {RS}");
        AssertInstruction(ptx, $@"shl\.b32 {R}, {R}, 16");
        AssertInstruction(ptx, $@"cvt\.rn\.bf16\.f32 {RS}, {F}");
        AssertInstruction(ptx, $@"cvt\.f32\.f16 {F}, {RS}");
        AssertInstruction(ptx, $@"cvt\.rn\.f16\.f32 {RS}, {F}");
        // Packing: cvt.rn.bf16x2.f32 d, a, b puts a in the UPPER half, so hi goes first.
        string loReg = AssertInstruction(ptx, $@"ld\.param\.f32 ({F}), \[lo\]").Groups[1].Value;
        string hiReg = AssertInstruction(ptx, $@"ld\.param\.f32 ({F}), \[hi\]").Groups[1].Value;
        AssertInstruction(ptx, $@"cvt\.rn\.bf16x2\.f32 {R}, {hiReg}, {loReg}");
        AssertInstruction(ptx, $@"cvt\.rn\.f16x2\.f32 {R}, {hiReg}, {loReg}");
        AssertInstruction(ptx, $@"and\.b32 {R}, {R}, -65536"); // the high bf16 already is an f32's upper half
        AssertInstruction(ptx, $@"mov\.b32 \{{{RS}, {RS}\}}, {R}");
    }

    /// <summary>Integer arithmetic, shifts, compares and conversions of every type, with C# semantics.</summary>
    internal static IrKernel IntegerAndFloatOperationsFollowCSharpKernel()
    {
        var k = new IrBuilder();
        IrParam oi = k.Buffer("oi", IrType.I32), ou = k.Buffer("ou", IrType.U32), ol = k.Buffer("ol", IrType.I64), oul = k.Buffer("oul", IrType.U64),
            of = k.Buffer("of", IrType.F32), od = k.Buffer("od", IrType.F64), ob = k.Buffer("ob", IrType.Bool), o8 = k.Buffer("o8", IrType.U8), o16 = k.Buffer("o16", IrType.U16);
        IrParam a = k.Scalar("a", IrType.I32), b = k.Scalar("b", IrType.I32), ua = k.Scalar("ua", IrType.U32), la = k.Scalar("la", IrType.I64),
            ula = k.Scalar("ula", IrType.U64), fa = k.Scalar("fa", IrType.F32), fb = k.Scalar("fb", IrType.F32), da = k.Scalar("da", IrType.F64),
            ba = k.Scalar("ba", IrType.U8), ha = k.Scalar("ha", IrType.U16), flag = k.Scalar("flag", IrType.Bool);
        IrView vi = X.View(oi), vu = X.View(ou), vl = X.View(ol), vul = X.View(oul),
            vf = X.View(of), vd = X.View(od), vb = X.View(ob), v8 = X.View(o8), v16 = X.View(o16);
        IrExpr A = X.Arg(a), B = X.Arg(b), UA = X.Arg(ua), LA = X.Arg(la), ULA = X.Arg(ula), FA = X.Arg(fa), FB = X.Arg(fb), DA = X.Arg(da), BA = X.Arg(ba), HA = X.Arg(ha);
        int n = 0;
        void I(IrExpr e) => k.Store(vi, X.I64(n++), e);
        I(X.Div(A, B)); I(X.Rem(A, B)); I(X.Shl(A, B)); I(X.Shr(A, B)); I(X.Shr(A, X.I32(33))); I(X.Neg(A)); I(X.BitNot(A));
        I(X.Xor(X.And(A, B), X.Or(A, X.I32(-8)))); I(X.Sub(X.I32(5), A)); I(X.Math(IrMathOp.Abs, A)); I(X.Math(IrMathOp.Min, A, B)); I(X.Math(IrMathOp.Max, A, B));
        I(X.Conv(IrType.I32, FA)); I(X.Conv(IrType.I32, DA)); I(X.Conv(IrType.I32, LA)); I(X.Conv(IrType.I32, BA)); I(X.Conv(IrType.I32, X.Arg(flag)));
        I(X.Bitcast(IrType.I32, FA));
        k.Store(vu, X.I64(0), X.Div(UA, X.Conv(IrType.U32, B)));
        k.Store(vu, X.I64(1), X.Rem(UA, X.U32(7)));
        k.Store(vu, X.I64(2), X.Shr(UA, X.Conv(IrType.U32, B)));
        k.Store(vu, X.I64(3), X.Conv(IrType.U32, FA));
        k.Store(vu, X.I64(4), X.Math(IrMathOp.Min, UA, X.U32(9)));
        k.Store(vl, X.I64(0), X.Conv(IrType.I64, A));
        k.Store(vl, X.I64(1), X.Conv(IrType.I64, UA));
        k.Store(vl, X.I64(2), X.Shl(LA, LA));
        k.Store(vl, X.I64(3), X.Div(LA, X.Conv(IrType.I64, B)));
        k.Store(vl, X.I64(4), X.Conv(IrType.I64, FA));
        k.Store(vul, X.I64(0), X.Conv(IrType.U64, A));
        k.Store(vul, X.I64(1), X.Shr(ULA, IrConst.Int(IrType.U64, 3)));
        k.Store(vul, X.I64(2), X.Add(ULA, IrConst.Int(IrType.U64, -1)));
        k.Store(vul, X.I64(3), X.Bitcast(IrType.U64, DA));
        k.Store(vf, X.I64(0), X.Div(FA, FB));
        k.Store(vf, X.I64(1), X.Sub(X.Mul(FA, FB), X.Neg(FA)));
        k.Store(vf, X.I64(2), X.Conv(IrType.F32, A));
        k.Store(vf, X.I64(3), X.Conv(IrType.F32, UA));
        k.Store(vf, X.I64(4), X.Conv(IrType.F32, DA));
        k.Store(vf, X.I64(5), X.Conv(IrType.F32, BA));
        k.Store(vf, X.I64(6), X.Bitcast(IrType.F32, UA));
        k.Store(vd, X.I64(0), X.Div(DA, X.Conv(IrType.F64, FA)));
        k.Store(vd, X.I64(1), X.Conv(IrType.F64, LA));
        k.Store(vd, X.I64(2), X.Math(IrMathOp.Fma, DA, DA, X.F64(0.25)));
        k.Store(vb, X.I64(0), X.Ne(FA, FB));
        k.Store(vb, X.I64(1), X.Lt(FA, FB));
        k.Store(vb, X.I64(2), X.Ge(DA, X.F64(1)));
        k.Store(vb, X.I64(3), X.Lt(UA, X.U32(3)));
        k.Store(vb, X.I64(4), X.Eq(X.Arg(flag), X.Lt(A, B)));
        k.Store(vb, X.I64(5), X.Not(X.Load(vb, X.I64(0))));
        k.Store(v8, X.I64(0), X.Add(BA, IrConst.Int(IrType.U8, 200)));
        k.Store(v8, X.I64(1), X.Conv(IrType.U8, A));
        k.Store(v8, X.I64(2), X.Conv(IrType.U8, FA));
        k.Store(v16, X.I64(0), X.Mul(HA, HA));
        k.Store(v16, X.I64(1), X.Conv(IrType.U16, LA));
        k.Store(v16, X.I64(2), X.Conv(IrType.U16, BA));
        return k.Build("ops");
    }

    [Fact]
    public void IntegerAndFloatOperationsFollowCSharp()
    {
        string ptx = Compile(IntegerAndFloatOperationsFollowCSharpKernel(), output);

        AssertInstruction(ptx, $@"div\.s32 {R}, {R}, {R}");
        AssertInstruction(ptx, $@"rem\.s32 {R}, {R}, {R}");
        AssertInstruction(ptx, $@"and\.b32 {R}, {R}, 31"); // C# masks a variable shift count
        AssertInstruction(ptx, $@"shr\.s32 {R}, {R}, 1"); // constant count 33 masked to 1 at compile time
        AssertInstruction(ptx, $@"and\.b32 {R}, {R}, 63"); // 64-bit count mask
        AssertInstruction(ptx, $@"div\.u32 {R}, {R}, {R}");
        AssertInstruction(ptx, $@"rem\.u32 {R}, {R}, 7");
        AssertInstruction(ptx, $@"shr\.u32 {R}, {R}, {R}");
        AssertInstruction(ptx, $@"sub\.s32 {R}, {R}, {R}"); // 5 - a: the constant moved into a register first
        AssertInstruction(ptx, $@"cvt\.rzi\.s32\.f32 {R}, {F}");
        AssertInstruction(ptx, $@"cvt\.rzi\.s32\.f64 {R}, {FD}");
        AssertInstruction(ptx, $@"cvt\.rzi\.u32\.f32 {R}, {F}");
        AssertInstruction(ptx, $@"cvt\.rn\.f32\.s32 {F}, {R}");
        AssertInstruction(ptx, $@"cvt\.rn\.f32\.u32 {F}, {R}");
        AssertInstruction(ptx, $@"cvt\.rn\.f32\.f64 {F}, {FD}");
        AssertInstruction(ptx, $@"cvt\.f64\.f32 {FD}, {F}");
        AssertInstruction(ptx, $@"cvt\.s64\.s32 {RD}, {R}"); // int -> long and int -> ulong sign-extend
        AssertInstruction(ptx, $@"cvt\.u64\.u32 {RD}, {R}"); // uint -> long zero-extends
        AssertInstruction(ptx, $@"cvt\.u32\.u64 {R}, {RD}");
        AssertInstruction(ptx, $@"mov\.b32 {R}, {F}"); // BitConverter.SingleToInt32Bits
        AssertInstruction(ptx, $@"mov\.b32 {F}, {R}");
        AssertInstruction(ptx, $@"mov\.b64 {RD}, {FD}");
        AssertInstruction(ptx, $@"div\.rn\.f32 {F}, {F}, {F}");
        AssertInstruction(ptx, $@"div\.rn\.f64 {FD}, {FD}, {FD}");
        AssertInstruction(ptx, $@"setp\.neu\.f32 {P}, {F}, {F}"); // C# != is true for NaN
        AssertInstruction(ptx, $@"setp\.lt\.f32 {P}, {F}, {F}"); // ordered
        AssertInstruction(ptx, $@"setp\.ge\.f64 {P}, {FD}, 0d3FF0000000000000");
        AssertInstruction(ptx, $@"setp\.lt\.u32 {P}, {R}, 3");
        AssertInstruction(ptx, $@"add\.u64 {RD}, {RD}, 0xFFFFFFFFFFFFFFFFU");
        AssertInstruction(ptx, $@"selp\.u16 {RS}, 1, 0, {P}"); // bool stored as one byte
        AssertInstruction(ptx, $@"st\.global\.u8 \[{RD}\+5\], {RS}");
        AssertInstruction(ptx, $@"ld\.global\.u8 {RS}, \[{RD}\]");
        AssertInstruction(ptx, $@"add\.u16 ({RS}), {RS}, 200");
        AssertInstruction(ptx, $@"and\.b16 {RS}, {RS}, 255"); // byte arithmetic wraps at 8 bits
        AssertInstruction(ptx, $@"mul\.lo\.u16 {RS}, {RS}, {RS}");
        AssertInstruction(ptx, $@"fma\.rn\.f64 {FD}, {FD}, {FD}, 0d3FD0000000000000");
    }

    internal static IrKernel MathIntrinsicsKernel()
    {
        var k = new IrBuilder();
        IrParam of = k.Buffer("of", IrType.F32), od = k.Buffer("od", IrType.F64), x = k.Scalar("x", IrType.F32), y = k.Scalar("y", IrType.F32), d = k.Scalar("d", IrType.F64);
        IrView vf = X.View(of), vd = X.View(od);
        IrExpr fx = X.Arg(x), fy = X.Arg(y), fd = X.Arg(d);
        int n = 0;
        foreach (IrMathOp op in new[] { IrMathOp.Abs, IrMathOp.Sqrt, IrMathOp.Exp, IrMathOp.Exp2, IrMathOp.Log, IrMathOp.Log2, IrMathOp.Floor, IrMathOp.Ceil,
                     IrMathOp.Sin, IrMathOp.Cos, IrMathOp.Tanh, IrMathOp.Rsqrt, IrMathOp.Exp2Fast, IrMathOp.RcpFast })
            k.Store(vf, X.I64(n++), X.Math(op, fx));
        k.Store(vf, X.I64(n++), X.Math(IrMathOp.Min, fx, fy));
        k.Store(vf, X.I64(n++), X.Math(IrMathOp.Max, fx, fy));
        k.Store(vf, X.I64(n++), X.Math(IrMathOp.Fma, fx, fy, X.F32(1)));
        n = 0;
        foreach (IrMathOp op in new[] { IrMathOp.Abs, IrMathOp.Sqrt, IrMathOp.Floor, IrMathOp.Ceil })
            k.Store(vd, X.I64(n++), X.Math(op, fd));
        k.Store(vd, X.I64(n++), X.Math(IrMathOp.Min, fd, X.F64(2)));
        k.Store(vd, X.I64(n++), X.Math(IrMathOp.Max, fd, X.F64(2)));
        return k.Build("math");
    }

    [Fact]
    public void MathIntrinsics()
    {
        string ptx = Compile(MathIntrinsicsKernel(), output);

        AssertInstruction(ptx, $@"mul\.f32 ({F}), {F}, 0f3FB8AA3B"); // e^x = 2^(x log2 e)
        AssertInstruction(ptx, $@"ex2\.approx\.ftz\.f32 {F}, {F}");
        AssertInstruction(ptx, $@"lg2\.approx\.f32 {F}, {F}");
        AssertInstruction(ptx, $@"mul\.f32 {F}, {F}, 0f3F317218"); // ln x = log2 x * ln 2
        AssertInstruction(ptx, $@"cvt\.rmi\.f32\.f32 {F}, {F}");
        AssertInstruction(ptx, $@"cvt\.rpi\.f32\.f32 {F}, {F}");
        AssertInstruction(ptx, $@"sin\.approx\.f32 {F}, {F}");
        AssertInstruction(ptx, $@"cos\.approx\.f32 {F}, {F}");
        AssertInstruction(ptx, $@"tanh\.approx\.f32 {F}, {F}");
        AssertInstruction(ptx, $@"rsqrt\.approx\.f32 {F}, {F}");
        AssertInstruction(ptx, $@"rcp\.approx\.ftz\.f32 {F}, {F}");
        AssertInstruction(ptx, $@"sqrt\.rn\.f32 {F}, {F}");
        AssertInstruction(ptx, $@"min\.f32 {F}, {F}, {F}");
        AssertInstruction(ptx, $@"fma\.rn\.f32 {F}, {F}, {F}, 0f3F800000");
        AssertInstruction(ptx, $@"sqrt\.rn\.f64 {FD}, {FD}");
        AssertInstruction(ptx, $@"cvt\.rmi\.f64\.f64 {FD}, {FD}");
        AssertInstruction(ptx, $@"max\.f64 {FD}, {FD}, 0d4000000000000000");
    }

    [Theory]
    [InlineData(IrMathOp.Exp)]
    [InlineData(IrMathOp.Log)]
    [InlineData(IrMathOp.Tanh)]
    [InlineData(IrMathOp.Sin)]
    public void DoubleTranscendentalsAreRefusedWithAClearMessage(IrMathOp op)
    {
        var k = new IrBuilder();
        IrParam od = k.Buffer("od", IrType.F64), d = k.Scalar("d", IrType.F64);
        k.Store(X.View(od), X.I64(0), X.Math(op, X.Arg(d)));
        var ex = Assert.Throws<NotSupportedException>(() => PtxBackend.Emit(k.Build("bad")));
        Assert.Contains(op.ToString(), ex.Message);
        Assert.Contains("double", ex.Message);
    }
}
