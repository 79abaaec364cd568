using RectifiedSpaAttn.Generators.Backends.Ptx;
using RectifiedSpaAttn.Generators.Ir;
using Xunit.Abstractions;
using static RectifiedSpaAttn.Generators.Tests.Ptx.PtxTestSupport;

namespace RectifiedSpaAttn.Generators.Tests.Ptx;

/// <summary>Integer and float operations with C# meaning, conversions, 16-bit floats and math intrinsics.</summary>
public class PtxNumericTests(ITestOutputHelper output)
{
    /// <summary>bf16/f16 loads widened to f32, f32 results rounded back, and packing/unpacking of pairs.</summary>
    [Fact]
    public void Bf16AndF16LoadConvertStore()
    {
        var k = new IrKernelBuilder("halves");
        IrParam xb = k.Buffer("xb", IrType.BF16), xh = k.Buffer("xh", IrType.F16), ob = k.Buffer("ob", IrType.BF16),
            oh = k.Buffer("oh", IrType.F16), packed = k.Buffer("packed", IrType.U32), of = k.Buffer("of", IrType.F32);
        IrParam lo = k.Scalar("lo", IrType.F32), hi = k.Scalar("hi", IrType.F32);
        IrLocal i = k.Local("i", IrType.I32), f = k.Local("f", IrType.F32), g = k.Local("g", IrType.F32), pb = k.Local("pb", IrType.U32), ph = k.Local("ph", IrType.U32);
        IrView xbv = IrKernelBuilder.View(xb), xhv = IrKernelBuilder.View(xh), obv = IrKernelBuilder.View(ob), ohv = IrKernelBuilder.View(oh),
            pv = IrKernelBuilder.View(packed), ofv = IrKernelBuilder.View(of);
        k.Assign(i, E.GlobalX);
        k.Assign(f, E.Conv(IrType.F32, E.Load(xbv, E.Wide(E.Ref(i)))));
        k.Assign(g, E.Conv(IrType.F32, E.Load(xhv, E.Wide(E.Ref(i)))));
        k.Store(obv, E.Wide(E.Ref(i)), E.Conv(IrType.BF16, E.Mul(E.Ref(f), E.F32(2))));
        k.Store(ohv, E.Wide(E.Ref(i)), E.Conv(IrType.F16, E.Add(E.Ref(g), E.F32(1))));
        k.Assign(pb, E.Math(IrMathOp.PackBF16, IrType.U32, E.Arg(lo), E.Arg(hi)));
        k.Assign(ph, E.Math(IrMathOp.PackF16, IrType.U32, E.Arg(lo), E.Arg(hi)));
        k.Store(pv, E.I64(0), E.Ref(pb));
        k.Store(pv, E.I64(1), E.Ref(ph));
        k.Store(ofv, E.I64(0), E.Math(IrMathOp.UnpackBF16, IrType.F32, E.Ref(pb), E.Bool(false)));
        k.Store(ofv, E.I64(1), E.Math(IrMathOp.UnpackBF16, IrType.F32, E.Ref(pb), E.Bool(true)));
        k.Store(ofv, E.I64(2), E.Math(IrMathOp.UnpackF16, IrType.F32, E.Ref(ph), E.Bool(false)));
        k.Store(ofv, E.I64(3), E.Math(IrMathOp.UnpackF16, IrType.F32, E.Ref(ph), E.Bool(true)));
        string ptx = Compile(k.Build(), output);

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
    [Fact]
    public void IntegerAndFloatOperationsFollowCSharp()
    {
        var k = new IrKernelBuilder("ops");
        IrParam oi = k.Buffer("oi", IrType.I32), ou = k.Buffer("ou", IrType.U32), ol = k.Buffer("ol", IrType.I64), oul = k.Buffer("oul", IrType.U64),
            of = k.Buffer("of", IrType.F32), od = k.Buffer("od", IrType.F64), ob = k.Buffer("ob", IrType.Bool), o8 = k.Buffer("o8", IrType.U8), o16 = k.Buffer("o16", IrType.U16);
        IrParam a = k.Scalar("a", IrType.I32), b = k.Scalar("b", IrType.I32), ua = k.Scalar("ua", IrType.U32), la = k.Scalar("la", IrType.I64),
            ula = k.Scalar("ula", IrType.U64), fa = k.Scalar("fa", IrType.F32), fb = k.Scalar("fb", IrType.F32), da = k.Scalar("da", IrType.F64),
            ba = k.Scalar("ba", IrType.U8), ha = k.Scalar("ha", IrType.U16), flag = k.Scalar("flag", IrType.Bool);
        IrView vi = IrKernelBuilder.View(oi), vu = IrKernelBuilder.View(ou), vl = IrKernelBuilder.View(ol), vul = IrKernelBuilder.View(oul),
            vf = IrKernelBuilder.View(of), vd = IrKernelBuilder.View(od), vb = IrKernelBuilder.View(ob), v8 = IrKernelBuilder.View(o8), v16 = IrKernelBuilder.View(o16);
        IrExpr A = E.Arg(a), B = E.Arg(b), UA = E.Arg(ua), LA = E.Arg(la), ULA = E.Arg(ula), FA = E.Arg(fa), FB = E.Arg(fb), DA = E.Arg(da), BA = E.Arg(ba), HA = E.Arg(ha);
        int n = 0;
        void I(IrExpr e) => k.Store(vi, E.I64(n++), e);
        I(E.Div(A, B)); I(E.Rem(A, B)); I(E.Shl(A, B)); I(E.Shr(A, B)); I(E.Shr(A, E.I32(33))); I(E.Neg(A)); I(E.BitNot(A));
        I(E.Xor(E.And(A, B), E.Or(A, E.I32(-8)))); I(E.Sub(E.I32(5), A)); I(E.Math(IrMathOp.Abs, A)); I(E.Math(IrMathOp.Min, A, B)); I(E.Math(IrMathOp.Max, A, B));
        I(E.Conv(IrType.I32, FA)); I(E.Conv(IrType.I32, DA)); I(E.Conv(IrType.I32, LA)); I(E.Conv(IrType.I32, BA)); I(E.Conv(IrType.I32, E.Arg(flag)));
        I(E.Cast(IrType.I32, FA));
        k.Store(vu, E.I64(0), E.Div(UA, E.Conv(IrType.U32, B)));
        k.Store(vu, E.I64(1), E.Rem(UA, E.U32(7)));
        k.Store(vu, E.I64(2), E.Shr(UA, E.Conv(IrType.U32, B)));
        k.Store(vu, E.I64(3), E.Conv(IrType.U32, FA));
        k.Store(vu, E.I64(4), E.Math(IrMathOp.Min, UA, E.U32(9)));
        k.Store(vl, E.I64(0), E.Conv(IrType.I64, A));
        k.Store(vl, E.I64(1), E.Conv(IrType.I64, UA));
        k.Store(vl, E.I64(2), E.Shl(LA, LA));
        k.Store(vl, E.I64(3), E.Div(LA, E.Conv(IrType.I64, B)));
        k.Store(vl, E.I64(4), E.Conv(IrType.I64, FA));
        k.Store(vul, E.I64(0), E.Conv(IrType.U64, A));
        k.Store(vul, E.I64(1), E.Shr(ULA, IrConst.Int(IrType.U64, 3)));
        k.Store(vul, E.I64(2), E.Add(ULA, IrConst.Int(IrType.U64, -1)));
        k.Store(vul, E.I64(3), E.Cast(IrType.U64, DA));
        k.Store(vf, E.I64(0), E.Div(FA, FB));
        k.Store(vf, E.I64(1), E.Sub(E.Mul(FA, FB), E.Neg(FA)));
        k.Store(vf, E.I64(2), E.Conv(IrType.F32, A));
        k.Store(vf, E.I64(3), E.Conv(IrType.F32, UA));
        k.Store(vf, E.I64(4), E.Conv(IrType.F32, DA));
        k.Store(vf, E.I64(5), E.Conv(IrType.F32, BA));
        k.Store(vf, E.I64(6), E.Cast(IrType.F32, UA));
        k.Store(vd, E.I64(0), E.Div(DA, E.Conv(IrType.F64, FA)));
        k.Store(vd, E.I64(1), E.Conv(IrType.F64, LA));
        k.Store(vd, E.I64(2), E.Math(IrMathOp.Fma, DA, DA, E.F64(0.25)));
        k.Store(vb, E.I64(0), E.Ne(FA, FB));
        k.Store(vb, E.I64(1), E.Lt(FA, FB));
        k.Store(vb, E.I64(2), E.Ge(DA, E.F64(1)));
        k.Store(vb, E.I64(3), E.Lt(UA, E.U32(3)));
        k.Store(vb, E.I64(4), E.Eq(E.Arg(flag), E.Lt(A, B)));
        k.Store(vb, E.I64(5), E.Not(E.Load(vb, E.I64(0))));
        k.Store(v8, E.I64(0), E.Add(BA, IrConst.Int(IrType.U8, 200)));
        k.Store(v8, E.I64(1), E.Conv(IrType.U8, A));
        k.Store(v8, E.I64(2), E.Conv(IrType.U8, FA));
        k.Store(v16, E.I64(0), E.Mul(HA, HA));
        k.Store(v16, E.I64(1), E.Conv(IrType.U16, LA));
        k.Store(v16, E.I64(2), E.Conv(IrType.U16, BA));
        string ptx = Compile(k.Build(), output);

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

    [Fact]
    public void MathIntrinsics()
    {
        var k = new IrKernelBuilder("math");
        IrParam of = k.Buffer("of", IrType.F32), od = k.Buffer("od", IrType.F64), x = k.Scalar("x", IrType.F32), y = k.Scalar("y", IrType.F32), d = k.Scalar("d", IrType.F64);
        IrView vf = IrKernelBuilder.View(of), vd = IrKernelBuilder.View(od);
        IrExpr X = E.Arg(x), Y = E.Arg(y), D = E.Arg(d);
        int n = 0;
        foreach (IrMathOp op in new[] { IrMathOp.Abs, IrMathOp.Sqrt, IrMathOp.Exp, IrMathOp.Exp2, IrMathOp.Log, IrMathOp.Log2, IrMathOp.Floor, IrMathOp.Ceil,
                     IrMathOp.Sin, IrMathOp.Cos, IrMathOp.Tanh, IrMathOp.Rsqrt, IrMathOp.Exp2Fast, IrMathOp.RcpFast })
            k.Store(vf, E.I64(n++), E.Math(op, X));
        k.Store(vf, E.I64(n++), E.Math(IrMathOp.Min, X, Y));
        k.Store(vf, E.I64(n++), E.Math(IrMathOp.Max, X, Y));
        k.Store(vf, E.I64(n++), E.Math(IrMathOp.Fma, X, Y, E.F32(1)));
        n = 0;
        foreach (IrMathOp op in new[] { IrMathOp.Abs, IrMathOp.Sqrt, IrMathOp.Floor, IrMathOp.Ceil })
            k.Store(vd, E.I64(n++), E.Math(op, D));
        k.Store(vd, E.I64(n++), E.Math(IrMathOp.Min, D, E.F64(2)));
        k.Store(vd, E.I64(n++), E.Math(IrMathOp.Max, D, E.F64(2)));
        string ptx = Compile(k.Build(), output);

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
        var k = new IrKernelBuilder("bad");
        IrParam od = k.Buffer("od", IrType.F64), d = k.Scalar("d", IrType.F64);
        k.Store(IrKernelBuilder.View(od), E.I64(0), E.Math(op, E.Arg(d)));
        var ex = Assert.Throws<NotSupportedException>(() => PtxBackend.Emit(k.Build()));
        Assert.Contains(op.ToString(), ex.Message);
        Assert.Contains("double", ex.Message);
    }
}
