using RectifiedSpaAttn.Compute;
using RectifiedSpaAttn.Compute.Cpu;
using RectifiedSpaAttn.Generators.Ir;
using RectifiedSpaAttn.Numerics;

namespace RectifiedSpaAttn.Generators.Tests.Cpu;

/// <summary>bf16/fp16 memory round trips, packing, and 16-bit scalar parameters.</summary>
public sealed class CpuConversionTests
{
    /// <summary>Ties, NaN, infinities, subnormals and overflow for both 16-bit formats, then random values.</summary>
    private static readonly float[] s_inputs =
    [
        0f, -0f, 1f, -1f, 1f + 1f / 256, 1f + 3f / 256, 1f + 1f / 2048, 1f + 3f / 2048, 65504f, 65519.99f, 65520f, 1e6f,
        6e-8f, 3e-8f, 1e-40f, -1e-40f, float.MaxValue, float.Epsilon, float.NaN, float.PositiveInfinity, float.NegativeInfinity,
        BitConverter.UInt32BitsToSingle(0x3F80_8000), BitConverter.UInt32BitsToSingle(0x3F81_8000), BitConverter.UInt32BitsToSingle(0x7F7F_FFFF),
        .. TestData.Floats(40, seed: 9),
    ];

    [Fact]
    public void SixteenBitFloatsRoundToNearestEvenAndWidenExactly()
    {
        int n = s_inputs.Length;
        var b = new IrBuilder();
        IrParam f = b.Buffer("f", IrType.F32), bf = b.Buffer("bf", IrType.BF16), h = b.Buffer("h", IrType.F16);
        IrParam toBf = b.Buffer("toBf", IrType.BF16), toH = b.Buffer("toH", IrType.F16);
        IrParam bfTimes3 = b.Buffer("bfTimes3", IrType.BF16), hPlus1 = b.Buffer("hPlus1", IrType.F16);
        IrParam packedBf = b.Buffer("packedBf", IrType.U32), packedH = b.Buffer("packedH", IrType.U32), unpacked = b.Buffer("unpacked", IrType.F32);
        IrLocal i = b.Let("i", X.GlobalX);
        b.If(X.Ge(X.Ref(i), X.I32(n)), b.Return);
        IrLocal v = b.Let("v", X.Load(X.View(f), X.Ref(i)));
        b.Store(X.View(toBf), X.Ref(i), X.Conv(IrType.BF16, X.Ref(v)));
        b.Store(X.View(toH), X.Ref(i), X.Conv(IrType.F16, X.Ref(v)));
        b.Store(X.View(bfTimes3), X.Ref(i), X.Conv(IrType.BF16, X.Mul(X.LoadF32(X.View(bf), X.Ref(i)), X.F32(3))));
        b.Store(X.View(hPlus1), X.Ref(i), X.Conv(IrType.F16, X.Add(X.LoadF32(X.View(h), X.Ref(i)), X.F32(1))));
        IrLocal pb = b.Let("pb", X.Math(IrMathOp.PackBF16, IrType.U32, X.Ref(v), X.Neg(X.Ref(v))));
        IrLocal ph = b.Let("ph", X.Math(IrMathOp.PackF16, IrType.U32, X.Ref(v), X.Mul(X.Ref(v), X.F32(0.5f))));
        b.Store(X.View(packedBf), X.Ref(i), X.Ref(pb));
        b.Store(X.View(packedH), X.Ref(i), X.Ref(ph));
        IrView u = X.View(unpacked);
        IrExpr at = X.Mul(X.Ref(i), X.I32(4));
        b.Store(u, at, X.Math(IrMathOp.UnpackBF16, IrType.F32, X.Ref(pb), X.Bool(false)));
        b.Store(u, X.Add(at, X.I32(1)), X.Math(IrMathOp.UnpackBF16, IrType.F32, X.Ref(pb), X.Bool(true)));
        b.Store(u, X.Add(at, X.I32(2)), X.Math(IrMathOp.UnpackF16, IrType.F32, X.Ref(ph), X.Bool(false)));
        b.Store(u, X.Add(at, X.I32(3)), X.Math(IrMathOp.UnpackF16, IrType.F32, X.Ref(ph), X.Bool(true)));
        KernelVariant kernel = CpuKernelCompiler.Compile(b.Build("sixteen_bit"));

        BFloat16[] bfIn = s_inputs.Select(BFloat16.FromSingle).ToArray();
        Half[] hIn = s_inputs.Select(x => (Half)x).ToArray();
        using var cpu = new CpuAccelerator();
        using DeviceBuffer<float> fb = cpu.Allocate<float>(n), unpackedOut = cpu.Allocate<float>(4 * n);
        using DeviceBuffer<BFloat16> bfb = cpu.Allocate<BFloat16>(n), toBfOut = cpu.Allocate<BFloat16>(n), bf3Out = cpu.Allocate<BFloat16>(n);
        using DeviceBuffer<Half> hb = cpu.Allocate<Half>(n), toHOut = cpu.Allocate<Half>(n), h1Out = cpu.Allocate<Half>(n);
        using DeviceBuffer<uint> pbOut = cpu.Allocate<uint>(n), phOut = cpu.Allocate<uint>(n);
        fb.CopyFrom(s_inputs);
        bfb.CopyFrom(bfIn);
        hb.CopyFrom(hIn);
        cpu.Launch(kernel, new LaunchDimensions((n + 31) / 32, 32),
        [
            KernelArgument.Buffer(fb.View, ScalarType.Float32), KernelArgument.Buffer(bfb.View, ScalarType.BFloat16),
            KernelArgument.Buffer(hb.View, ScalarType.Float16), KernelArgument.Buffer(toBfOut.View, ScalarType.BFloat16),
            KernelArgument.Buffer(toHOut.View, ScalarType.Float16), KernelArgument.Buffer(bf3Out.View, ScalarType.BFloat16),
            KernelArgument.Buffer(h1Out.View, ScalarType.Float16), KernelArgument.Buffer(pbOut.View, ScalarType.UInt32),
            KernelArgument.Buffer(phOut.View, ScalarType.UInt32), KernelArgument.Buffer(unpackedOut.View, ScalarType.Float32),
        ]);

        Assert.Equal(bfIn.Select(x => x.RawBits), toBfOut.ToArray().Select(x => x.RawBits));
        Assert.Equal(hIn.Select(BitConverter.HalfToUInt16Bits), toHOut.ToArray().Select(BitConverter.HalfToUInt16Bits));
        Assert.Equal(bfIn.Select(x => BFloat16.FromSingle(x.ToSingle() * 3).RawBits), bf3Out.ToArray().Select(x => x.RawBits));
        Assert.Equal(hIn.Select(x => BitConverter.HalfToUInt16Bits((Half)((float)x + 1))), h1Out.ToArray().Select(BitConverter.HalfToUInt16Bits));
        uint[] pbs = pbOut.ToArray(), phs = phOut.ToArray();
        float[] un = unpackedOut.ToArray();
        for (int k = 0; k < n; k++)
        {
            float x = s_inputs[k];
            BFloat16 lo = BFloat16.FromSingle(x), hi = BFloat16.FromSingle(-x);
            Assert.Equal(lo.RawBits | (uint)hi.RawBits << 16, pbs[k]);
            Half hlo = (Half)x, hhi = (Half)(x * 0.5f);
            Assert.Equal(BitConverter.HalfToUInt16Bits(hlo) | (uint)BitConverter.HalfToUInt16Bits(hhi) << 16, phs[k]);
            Assert.Equal(BitConverter.SingleToUInt32Bits(lo.ToSingle()), BitConverter.SingleToUInt32Bits(un[4 * k]));
            Assert.Equal(BitConverter.SingleToUInt32Bits(hi.ToSingle()), BitConverter.SingleToUInt32Bits(un[4 * k + 1]));
            Assert.Equal(BitConverter.SingleToUInt32Bits((float)hlo), BitConverter.SingleToUInt32Bits(un[4 * k + 2]));
            Assert.Equal(BitConverter.SingleToUInt32Bits((float)hhi), BitConverter.SingleToUInt32Bits(un[4 * k + 3]));
        }
    }

    [Fact]
    public void SixteenBitAndNarrowScalarParametersArriveByTheirBits()
    {
        var b = new IrBuilder();
        IrParam o = b.Buffer("o", IrType.F32);
        IrParamRef pbf = X.Arg(b.Scalar("pbf", IrType.BF16)), ph = X.Arg(b.Scalar("ph", IrType.F16)), pb = X.Arg(b.Scalar("pb", IrType.U8));
        IrParamRef pu = X.Arg(b.Scalar("pu", IrType.U16)), pflag = X.Arg(b.Scalar("pflag", IrType.Bool)), pd = X.Arg(b.Scalar("pd", IrType.F64)), pl = X.Arg(b.Scalar("pl", IrType.I64));
        IrView v = X.View(o);
        b.If(X.Eq(X.Tid, X.I32(0)), () =>
        {
            b.Store(v, X.I32(0), X.Conv(IrType.F32, pbf));
            b.Store(v, X.I32(1), X.Conv(IrType.F32, ph));
            b.Store(v, X.I32(2), X.Conv(IrType.F32, pb));
            b.Store(v, X.I32(3), X.Conv(IrType.F32, pu));
            b.Store(v, X.I32(4), X.Conv(IrType.F32, pflag));
            b.Store(v, X.I32(5), X.Conv(IrType.F32, pd));
            b.Store(v, X.I32(6), X.Conv(IrType.F32, pl));
        });
        KernelVariant kernel = CpuKernelCompiler.Compile(b.Build("scalars16"));

        using var cpu = new CpuAccelerator();
        using DeviceBuffer<float> output = cpu.Allocate<float>(7);
        output.Fill(float.NaN);
        cpu.Launch(kernel, new LaunchDimensions(1, 32),
        [
            KernelArgument.Buffer(output.View, ScalarType.Float32),
            KernelArgument.Scalar(ScalarType.BFloat16, BFloat16.FromSingle(-2.5f).RawBits),
            KernelArgument.Scalar(ScalarType.Float16, BitConverter.HalfToUInt16Bits((Half)0.333f)),
            KernelArgument.Scalar(ScalarType.UInt8, 200), KernelArgument.Scalar(ScalarType.UInt16, 60000),
            KernelArgument.From(true), KernelArgument.From(1.0 / 3), KernelArgument.From(-(1L << 40)),
        ]);
        Assert.Equal([-2.5f, (float)(Half)0.333f, 200f, 60000f, 1f, (float)(1.0 / 3), -(float)(1L << 40)], output.ToArray());
    }
}
