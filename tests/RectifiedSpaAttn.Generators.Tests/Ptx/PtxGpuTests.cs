using RectifiedSpaAttn.Compute;
using RectifiedSpaAttn.Generators.Ir;
using static RectifiedSpaAttn.Generators.Tests.Ptx.PtxGpu;

namespace RectifiedSpaAttn.Generators.Tests.Ptx;

/// <summary>
/// The kernels of the PTX assembly tests, run on a GPU and checked against C# semantics computed on the host.
/// Outputs are poisoned first so unwritten elements show.
/// </summary>
public class PtxGpuTests(ITestOutputHelper output)
{
    [Fact]
    public void SaxpyRespectsTheViewAndItsBound()
    {
        if (TryGet(output) is not { } acc) return;
        const int n = 1000;
        using var x = Upload(acc, Enumerable.Range(0, 1100).Select(i => (float)i).ToArray());
        using var y = Poisoned(acc, 1100, float.NaN);
        y.CopyFrom(Enumerable.Repeat(2f, n).ToArray(), 8);
        // Views that start 8 elements in: the host applies the offset, the kernel sees element 0.
        acc.Launch(Variant(PtxControlFlowTests.ElementwiseWithBoundsCheckKernel()), new LaunchDimensions(8, 128),
            [Buf(x.SubView(8, n), ScalarType.Float32), Buf(y.SubView(8, n), ScalarType.Float32), KernelArgument.From(3f)]);
        float[] r = y.ToArray();
        for (int i = 0; i < 8; i++) Assert.True(float.IsNaN(r[i]), $"y[{i}] before the view was written");
        for (int i = 0; i < n; i++) Assert.Equal(3f * (i + 8) + 2f, r[i + 8]);
        for (int i = n + 8; i < r.Length; i++) Assert.True(float.IsNaN(r[i]), $"y[{i}] past the bound was written");
    }

    [Fact]
    public void SharedMemoryReduction()
    {
        if (TryGet(output) is not { } acc) return;
        float[] xs = Enumerable.Range(0, 4 * 256).Select(i => (float)(i % 7)).ToArray();
        using var x = Upload(acc, xs);
        using var o = Poisoned(acc, 4, float.NaN);
        acc.Launch(Variant(PtxSharedAndWarpTests.SharedMemoryReductionWithBarrierAndLoopKernel()), new LaunchDimensions(4, 256),
            [Buf(x, ScalarType.Float32), Buf(o, ScalarType.Float32)]);
        float[] r = o.ToArray();
        for (int g = 0; g < 4; g++) Assert.Equal(xs.Skip(g * 256).Take(256).Sum(), r[g]);
    }

    [Fact]
    public void ShufflesAndWarpAtomics()
    {
        if (TryGet(output) is not { } acc) return;
        using var x = Upload(acc, Enumerable.Range(0, 64).Select(i => (float)i).ToArray());
        using var o = Upload(acc, new float[2]);
        using var ints = Poisoned(acc, 64, int.MinValue);
        acc.Launch(Variant(PtxSharedAndWarpTests.ShuffleReductionKernel()), new LaunchDimensions(1, 64),
            [Buf(x, ScalarType.Float32), Buf(o, ScalarType.Float32), Buf(ints, ScalarType.Int32)]);
        Assert.Equal([496f, 1520f], o.ToArray());
        int[] r = ints.ToArray();
        for (int t = 0; t < 64; t++)
        {
            int lane = t % 32, warp = t / 32;
            int down = lane < 31 ? lane + 1 : lane; // past lane 31 a lane keeps its own value
            int fromWarpLane = warp + 1;            // shfl.idx from lane WarpIdx of the 'down' values
            Assert.Equal(down + fromWarpLane, r[t]);
        }
    }

    [Fact]
    public void GlobalAtomics()
    {
        if (TryGet(output) is not { } acc) return;
        using var counts = Upload(acc, new[] { 0, -1, -1, 0 });
        using var sum = Upload(acc, new[] { 0f });
        using var o = Poisoned(acc, 64, 0);
        using var u = Upload(acc, new uint[1]);
        acc.Launch(Variant(PtxSharedAndWarpTests.AtomicsKernel()), new LaunchDimensions(1, 64),
            [Buf(counts, ScalarType.Int32), Buf(sum, ScalarType.Float32), Buf(o, ScalarType.Int32), Buf(u, ScalarType.UInt32)]);
        Assert.Equal([64, 63, 63, 7], counts.ToArray()); // count, max tid, max of the old counts, cas 0 -> 7
        Assert.Equal(32f, sum.ToArray()[0]);
    }

    [Fact]
    public void BreakContinueReturn()
    {
        if (TryGet(output) is not { } acc) return;
        const int n = 100, limit = 700;
        using var o = Poisoned(acc, 128, int.MinValue);
        acc.Launch(Variant(PtxControlFlowTests.BreakContinueAndReturnKernel()), new LaunchDimensions(1, 128),
            [Buf(o, ScalarType.Int32), KernelArgument.From(n), KernelArgument.From(limit)]);
        int[] r = o.ToArray();
        int acc0 = 0;
        for (int j = 0; j < 100; j++)
        {
            if (j % 3 == 1) continue;
            if (acc0 > limit) break;
            acc0 += j;
        }
        while (true) { acc0 >>= 1; if (acc0 < 10) break; }
        for (int i = 0; i < 128; i++) Assert.Equal(i < n ? acc0 : int.MinValue, r[i]);
    }

    [Fact]
    public void VectorCopyThroughShared()
    {
        if (TryGet(output) is not { } acc) return;
        ushort[] src = Enumerable.Range(0, 2 * 128 * 8).Select(i => (ushort)(i * 7 + 1)).ToArray();
        using var s = Upload(acc, src);
        using var d = Poisoned(acc, src.Length, (ushort)0xDEAD);
        acc.Launch(Variant(PtxSharedAndWarpTests.VectorLoadsAndStoresKernel()), new LaunchDimensions(2, 128),
            [Buf(s, ScalarType.UInt16), Buf(d, ScalarType.UInt16)]);
        ushort[] r = d.ToArray();
        for (int g = 0; g < 2; g++)
            for (int t = 0; t < 128; t++)
                for (int j = 0; j < 8; j++)
                    Assert.Equal(src[(g * 128 + (t ^ 1)) * 8 + j], r[(g * 128 + t) * 8 + j]);
    }

    /// <summary>D = A·B on the tensor cores, with inputs exactly representable so the f32 result is exact.</summary>
    [Theory]
    [InlineData(IrMmaKind.BF16)]
    [InlineData(IrMmaKind.F16)]
    public void MmaTile(IrMmaKind kind)
    {
        if (TryGet(output) is not { } acc) return;
        Func<float, ushort> enc = kind == IrMmaKind.BF16 ? Bf16 : F16;
        var rng = new Random(5);
        float[] a = Enumerable.Range(0, 256).Select(_ => rng.Next(-16, 17) / 4f).ToArray();
        float[] b = Enumerable.Range(0, 128).Select(_ => rng.Next(-16, 17) / 4f).ToArray();
        using var ad = Upload(acc, a.Select(enc).ToArray());
        using var bd = Upload(acc, b.Select(enc).ToArray());
        using var dd = Poisoned(acc, 128, float.NaN);
        using var xd = Poisoned(acc, 32, 0xDEADBEEFu);
        ScalarType et = kind == IrMmaKind.BF16 ? ScalarType.BFloat16 : ScalarType.Float16;
        acc.Launch(Variant(PtxTensorCoreTests.MmaTileWithLdmatrixAndAsyncCopyKernel(kind)), new LaunchDimensions(1, 32, 1024),
            [Buf(ad, et), Buf(bd, et), Buf(dd, ScalarType.Float32), Buf(xd, ScalarType.UInt32)]);
        float[] d = dd.ToArray();
        for (int i = 0; i < 16; i++)
            for (int j = 0; j < 8; j++)
            {
                float expect = 0;
                for (int kk = 0; kk < 16; kk++) expect += a[i * 16 + kk] * b[kk * 8 + j];
                Assert.Equal(expect, d[i * 8 + j]);
            }
        // ldmatrix.x1 of A's top-left 8x8: lane l holds row l/4, columns 2(l%4) (low half) and 2(l%4)+1 (high half).
        uint[] x1 = xd.ToArray();
        for (int l = 0; l < 32; l++)
        {
            int r = l / 4, c = 2 * (l % 4);
            Assert.Equal((uint)enc(a[r * 16 + c]) | (uint)enc(a[r * 16 + c + 1]) << 16, x1[l]);
        }
    }

    [Fact]
    public void HalfPrecisionConversionsAndPacking()
    {
        if (TryGet(output) is not { } acc) return;
        float[] vals = [1f, -2.5f, 3.140625f, 1e-3f, 65504f / 4, 0.1f, -0.333f, 1.00390625f];
        int n = vals.Length;
        using var xb = Upload(acc, vals.Select(Bf16).ToArray());
        using var xh = Upload(acc, vals.Select(F16).ToArray());
        using var ob = Poisoned(acc, n, (ushort)0xDEAD);
        using var oh = Poisoned(acc, n, (ushort)0xDEAD);
        using var packed = Poisoned(acc, 2, 0xDEADBEEFu);
        using var of = Poisoned(acc, 4, float.NaN);
        float lo = 1f + 1f / 256 + 1f / 1024, hi = -3.14159f; // lo rounds up in bf16: checks nearest-even, not truncation
        acc.Launch(Variant(PtxNumericTests.Bf16AndF16LoadConvertStoreKernel()), new LaunchDimensions(1, n),
            [Buf(xb, ScalarType.BFloat16), Buf(xh, ScalarType.Float16), Buf(ob, ScalarType.BFloat16), Buf(oh, ScalarType.Float16),
             Buf(packed, ScalarType.UInt32), Buf(of, ScalarType.Float32), KernelArgument.From(lo), KernelArgument.From(hi)]);
        ushort[] rb = ob.ToArray(), rh = oh.ToArray();
        for (int i = 0; i < n; i++)
        {
            Assert.Equal(Bf16(FromBf16(Bf16(vals[i])) * 2f), rb[i]);
            Assert.Equal(F16((float)BitConverter.UInt16BitsToHalf(F16(vals[i])) + 1f), rh[i]);
        }
        uint[] p = packed.ToArray();
        Assert.Equal((uint)Bf16(lo) | (uint)Bf16(hi) << 16, p[0]);
        Assert.Equal((uint)F16(lo) | (uint)F16(hi) << 16, p[1]);
        float[] u = of.ToArray();
        Assert.Equal(FromBf16(Bf16(lo)), u[0]);
        Assert.Equal(FromBf16(Bf16(hi)), u[1]);
        Assert.Equal((float)(Half)lo, u[2]);
        Assert.Equal((float)(Half)hi, u[3]);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void OperationsMatchCSharp(bool nanOperand)
    {
        if (TryGet(output) is not { } acc) return;
        int a = -7, b = 33; uint ua = 0xF000_0005; long la = 0x1_2345_6789L; ulong ula = 0xFFFF_0000_0000_0010UL;
        float fa = -2.75f, fb = nanOperand ? float.NaN : 1.5f; double da = 1e10; byte ba = 77; ushort ha = 300; bool flag = true;
        using var oi = Poisoned(acc, 18, int.MinValue);
        using var ou = Poisoned(acc, 5, 0xDEADBEEFu);
        using var ol = Poisoned(acc, 5, long.MinValue);
        using var oul = Poisoned(acc, 4, 0xDEADBEEFUL);
        using var of = Poisoned(acc, 7, float.NaN);
        using var od = Poisoned(acc, 3, double.NaN);
        using var ob = Poisoned(acc, 6, (byte)0xEE);
        using var o8 = Poisoned(acc, 3, (byte)0xEE);
        using var o16 = Poisoned(acc, 3, (ushort)0xDEAD);
        acc.Launch(Variant(PtxNumericTests.IntegerAndFloatOperationsFollowCSharpKernel()), new LaunchDimensions(1, 1),
            [Buf(oi, ScalarType.Int32), Buf(ou, ScalarType.UInt32), Buf(ol, ScalarType.Int64), Buf(oul, ScalarType.UInt64),
             Buf(of, ScalarType.Float32), Buf(od, ScalarType.Float64), Buf(ob, ScalarType.Bool), Buf(o8, ScalarType.UInt8), Buf(o16, ScalarType.UInt16),
             KernelArgument.From(a), KernelArgument.From(b), KernelArgument.From(ua), KernelArgument.From(la),
             KernelArgument.Scalar(ScalarType.UInt64, ula), KernelArgument.From(fa), KernelArgument.From(fb), KernelArgument.From(da),
             KernelArgument.Scalar(ScalarType.UInt8, ba), KernelArgument.Scalar(ScalarType.UInt16, ha), KernelArgument.From(flag)]);

        Assert.Equal([a / b, a % b, a << b, a >> b, a >> 33, -a, ~a, (a & b) ^ (a | -8), 5 - a, Math.Abs(a), Math.Min(a, b), Math.Max(a, b),
            (int)fa, (int)da, (int)la, (int)ba, flag ? 1 : 0, BitConverter.SingleToInt32Bits(fa)], oi.ToArray());
        Assert.Equal([ua / (uint)b, ua % 7, ua >> b, (uint)fa, Math.Min(ua, 9u)], ou.ToArray());
        Assert.Equal([(long)a, (long)ua, la << (int)la, la / b, (long)fa], ol.ToArray());
        Assert.Equal([(ulong)a, ula >> 3, unchecked(ula + ulong.MaxValue), BitConverter.DoubleToUInt64Bits(da)], oul.ToArray());
        float[] f = of.ToArray();
        Assert.Equal(fa / fb, f[0]);
        Assert.Equal(fa * fb - -fa, f[1]);
        Assert.Equal([(float)a, (float)ua, (float)da, (float)ba, BitConverter.UInt32BitsToSingle(ua)], f[2..]);
        Assert.Equal([da / fa, (double)la, Math.FusedMultiplyAdd(da, da, 0.25)], od.ToArray());
        bool ne = fa != fb;
        Assert.Equal([ne ? (byte)1 : (byte)0, fa < fb ? (byte)1 : (byte)0, (byte)1, (byte)0, flag == a < b ? (byte)1 : (byte)0, ne ? (byte)0 : (byte)1], ob.ToArray());
        Assert.Equal([unchecked((byte)(ba + 200)), unchecked((byte)a), (byte)fa], o8.ToArray());
        Assert.Equal([unchecked((ushort)(ha * ha)), unchecked((ushort)la), (ushort)ba], o16.ToArray());
    }

    [Fact]
    public void MathIntrinsicsAreAccurateEnough()
    {
        if (TryGet(output) is not { } acc) return;
        float x = 0.7f, y = -1.3f; double d = 2.25;
        using var of = Poisoned(acc, 17, float.NaN);
        using var od = Poisoned(acc, 6, double.NaN);
        acc.Launch(Variant(PtxNumericTests.MathIntrinsicsKernel()), new LaunchDimensions(1, 1),
            [Buf(of, ScalarType.Float32), Buf(od, ScalarType.Float64), KernelArgument.From(x), KernelArgument.From(y), KernelArgument.From(d)]);
        float[] f = of.ToArray();
        float[] expect = [MathF.Abs(x), MathF.Sqrt(x), MathF.Exp(x), MathF.Pow(2, x), MathF.Log(x), MathF.Log2(x), MathF.Floor(x), MathF.Ceiling(x),
            MathF.Sin(x), MathF.Cos(x), MathF.Tanh(x), 1 / MathF.Sqrt(x), MathF.Pow(2, x), 1 / x, MathF.Min(x, y), MathF.Max(x, y), MathF.FusedMultiplyAdd(x, y, 1)];
        bool[] exact = [true, true, false, false, false, false, true, true, false, false, false, false, false, false, true, true, true];
        for (int i = 0; i < expect.Length; i++)
        {
            if (exact[i]) Assert.Equal(expect[i], f[i]);
            else Assert.True(MathF.Abs(f[i] - expect[i]) <= 2e-3f * MathF.Abs(expect[i]), $"op {i}: {f[i]} vs {expect[i]}");
        }
        Assert.Equal([Math.Abs(d), Math.Sqrt(d), Math.Floor(d), Math.Ceiling(d), Math.Min(d, 2), Math.Max(d, 2)], od.ToArray());
    }
}
