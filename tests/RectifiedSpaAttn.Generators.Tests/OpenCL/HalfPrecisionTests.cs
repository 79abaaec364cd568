using RectifiedSpaAttn.Compute;
using RectifiedSpaAttn.Compute.OpenCL;
using RectifiedSpaAttn.Generators.Ir;
using RectifiedSpaAttn.Numerics;
using static RectifiedSpaAttn.Generators.Tests.X;

namespace RectifiedSpaAttn.Generators.Tests.OpenCL;

/// <summary>bf16 and fp16 stores (round to nearest even), loads, packs and unpacks against BFloat16 and System.Half.</summary>
public sealed class HalfPrecisionTests(ITestOutputHelper output)
{
    [Fact]
    public void RoundTripsMatchBFloat16AndHalf()
    {
        OpenCLAccelerator? cl = OpenCLTestDevice.RequireOrSkipOutsideCI(output);
        if (cl is null) return;
        var bld = new IrBuilder();
        IrParam xs = bld.Buffer("xs", IrType.F32), bfs = bld.Buffer("bfs", IrType.BF16), hs = bld.Buffer("hs", IrType.F16);
        IrParam back = bld.Buffer("back", IrType.F32), packed = bld.Buffer("packed", IrType.U32), unpacked = bld.Buffer("unpacked", IrType.F32);
        IrParam hScalar = bld.Scalar("h", IrType.F16), bScalar = bld.Scalar("bh", IrType.BF16);
        IrLocal i = bld.Local("i", IrType.I32), f = bld.Local("f", IrType.F32), p = bld.Local("p", IrType.U32), q = bld.Local("q", IrType.U32);
        IrExpr At(int k) => Add(Mul(Ref(i), I32(4)), I32(k));
        IrKernel kernel = bld.Build("halves",
            Set(i, GlobalX),
            If(Not(Lt(Conv(IrType.I64, Ref(i)), new IrViewLength(View(xs)))), Return),
            Set(f, Load(View(xs), Ref(i))),
            Store(View(bfs), Ref(i), Conv(IrType.BF16, Ref(f))),
            Store(View(hs), Ref(i), Conv(IrType.F16, Ref(f))),
            Store(View(back), Mul(Ref(i), I32(2)), Conv(IrType.F32, Load(View(bfs), Ref(i)))),
            Store(View(back), Add(Mul(Ref(i), I32(2)), I32(1)), Conv(IrType.F32, Load(View(hs), Ref(i)))),
            Set(p, Math(IrMathOp.PackBF16, IrType.U32, Ref(f), Mul(Ref(f), F32(3f)))),
            Set(q, Math(IrMathOp.PackF16, IrType.U32, Mul(Ref(f), F32(3f)), Ref(f))),
            Store(View(packed), Mul(Ref(i), I32(2)), Ref(p)),
            Store(View(packed), Add(Mul(Ref(i), I32(2)), I32(1)), Ref(q)),
            Store(View(unpacked), At(0), Math(IrMathOp.UnpackBF16, IrType.F32, Ref(p), Bool(false))),
            Store(View(unpacked), At(1), Math(IrMathOp.UnpackBF16, IrType.F32, Ref(p), Bool(true))),
            Store(View(unpacked), At(2), Add(Math(IrMathOp.UnpackF16, IrType.F32, Ref(q), Bool(false)), Conv(IrType.F32, Arg(hScalar)))),
            Store(View(unpacked), At(3), Add(Math(IrMathOp.UnpackF16, IrType.F32, Ref(q), Bool(true)), Conv(IrType.F32, Arg(bScalar)))));
        KernelVariant variant = OpenCLKernelRunner.Variant(kernel, output);

        int seed = OpenCLKernelRunner.NewSeed();
        var rng = new Random(seed);
        var values = new List<float>
        {
            0f, -0f, 1f, -1f, float.PositiveInfinity, float.NegativeInfinity, float.NaN, 65504f, 65520f, 1e6f, 6e-8f, 3e-5f, 1e-40f,
            BitConverter.UInt32BitsToSingle(0x3F808000), BitConverter.UInt32BitsToSingle(0x3F818000), // bf16 ties: to even, both ways
            BitConverter.UInt32BitsToSingle(0x7F7FFFFF), float.Epsilon,
        };
        while (values.Count < 1000)
            values.Add(rng.Next(3) switch
            {
                0 => (float)(rng.NextDouble() * 2 - 1) * MathF.Pow(2, rng.Next(-30, 30)),
                1 => BitConverter.UInt32BitsToSingle((uint)rng.NextInt64(0, 1L << 32)),
                _ => (float)(Half)(float)(rng.NextDouble() * 100) + (float)System.Math.ScaleB(1, -12) * rng.Next(-2, 3), // near fp16 ties
            });
        float[] x = [.. values];
        int n = x.Length;
        Half hv = (Half)(float)(rng.NextDouble() * 10);
        BFloat16 bv = BFloat16.FromSingle((float)(rng.NextDouble() * 10));
        using DeviceBuffer<float> xb = cl.Allocate<float>(n), backb = cl.Allocate<float>(2 * n), ub = cl.Allocate<float>(4 * n);
        using DeviceBuffer<ushort> bb = cl.Allocate<ushort>(n), hb = cl.Allocate<ushort>(n);
        using DeviceBuffer<uint> pb = cl.Allocate<uint>(2 * n);
        xb.CopyFrom(x);
        bb.Fill(0xDEAD); hb.Fill(0xDEAD); backb.Fill(-7f); ub.Fill(-7f); pb.Fill(0xDEADBEEF);
        cl.Launch(variant, new LaunchDimensions((n + 63) / 64, 64),
        [
            KernelArgument.Buffer(xb.View, ScalarType.Float32), KernelArgument.Buffer(bb.View, ScalarType.BFloat16),
            KernelArgument.Buffer(hb.View, ScalarType.Float16), KernelArgument.Buffer(backb.View, ScalarType.Float32),
            KernelArgument.Buffer(pb.View, ScalarType.UInt32), KernelArgument.Buffer(ub.View, ScalarType.Float32),
            KernelArgument.Scalar(ScalarType.Float16, BitConverter.HalfToUInt16Bits(hv)), KernelArgument.Scalar(ScalarType.BFloat16, bv.RawBits),
        ]);
        ushort[] gotB = bb.ToArray(), gotH = hb.ToArray();
        float[] gotBack = backb.ToArray(), gotU = ub.ToArray();
        uint[] gotP = pb.ToArray();
        ushort B(float v) => BFloat16.FromSingle(v).RawBits;
        ushort H(float v) => BitConverter.HalfToUInt16Bits((Half)v);
        static bool Same(float a, float b) => a.Equals(b); // NaN equals NaN, and 0 vs -0 differ
        for (int k = 0; k < n; k++)
        {
            float v = x[k];
            string ctx = $"seed {seed}: x = {v} (0x{BitConverter.SingleToUInt32Bits(v):x8})";
            Assert.True(B(v) == gotB[k], $"{ctx}: bf16 0x{gotB[k]:x4}, expected 0x{B(v):x4}");
            if (float.IsNaN(v)) Assert.True(Half.IsNaN(BitConverter.UInt16BitsToHalf(gotH[k])), $"{ctx}: fp16 0x{gotH[k]:x4} is not NaN");
            else Assert.True(H(v) == gotH[k], $"{ctx}: fp16 0x{gotH[k]:x4}, expected 0x{H(v):x4}");
            Assert.True(Same((float)BFloat16.FromSingle(v), gotBack[2 * k]), $"{ctx}: bf16 load {gotBack[2 * k]}");
            Assert.True(Same((float)(Half)v, gotBack[2 * k + 1]), $"{ctx}: fp16 load {gotBack[2 * k + 1]}");
            // The high half packs v * 3, computed on the device. Arithmetic on a NaN gives the device's NaN (NVIDIA:
            // the canonical 0x7fffffff, not .NET's propagated payload), so there any bf16 NaN is right.
            Assert.True(B(v) == (ushort)gotP[2 * k], $"{ctx}: PackBF16 low 0x{gotP[2 * k] & 0xffff:x4}, expected 0x{B(v):x4}");
            ushort high = (ushort)(gotP[2 * k] >> 16);
            if (float.IsNaN(v)) Assert.True((high & 0x7f80) == 0x7f80 && (high & 0x7f) != 0, $"{ctx}: PackBF16 high 0x{high:x4} is not NaN");
            else Assert.True(B(v * 3f) == high, $"{ctx}: PackBF16 high 0x{high:x4}, expected 0x{B(v * 3f):x4}");
            if (!float.IsNaN(v))
            {
                uint qe = H(v * 3f) | ((uint)H(v) << 16);
                Assert.True(qe == gotP[2 * k + 1], $"{ctx}: PackF16 0x{gotP[2 * k + 1]:x8}, expected 0x{qe:x8}");
            }
            Assert.True(Same((float)BFloat16.FromSingle(v), gotU[4 * k]), $"{ctx}: UnpackBF16 low {gotU[4 * k]}");
            Assert.True(Same((float)BFloat16.FromSingle(v * 3f), gotU[4 * k + 1]), $"{ctx}: UnpackBF16 high {gotU[4 * k + 1]}");
            Assert.True(Same((float)(Half)(v * 3f) + (float)hv, gotU[4 * k + 2]), $"{ctx}: UnpackF16 low + h {gotU[4 * k + 2]}");
            Assert.True(Same((float)(Half)v + (float)bv, gotU[4 * k + 3]), $"{ctx}: UnpackF16 high + bh {gotU[4 * k + 3]}");
        }
    }
}
