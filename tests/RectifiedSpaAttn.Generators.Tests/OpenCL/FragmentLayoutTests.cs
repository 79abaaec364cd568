using RectifiedSpaAttn.Compute;
using RectifiedSpaAttn.Compute.OpenCL;
using RectifiedSpaAttn.Generators.Ir;
using RectifiedSpaAttn.Numerics;
using static RectifiedSpaAttn.Generators.Tests.X;

namespace RectifiedSpaAttn.Generators.Tests.OpenCL;

/// <summary>
/// ldmatrix and mma checked each on its own against the PTX ISA's formulas, so that two mistakes cannot cancel out
/// in <see cref="TensorCoreTests"/>: ldmatrix registers are dumped per lane; mma gets fragments packed by the formula.
/// </summary>
public sealed class FragmentLayoutTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void LdmatrixX4GivesEachLaneThePtxFragment(bool trans)
    {
        OpenCLAccelerator? cl = OpenCLTestDevice.RequireOrSkipOutsideCI(output);
        if (cl is null) return;
        var bld = new IrBuilder();
        IrParam src = bld.Buffer("src", IrType.U16), dst = bld.Buffer("dst", IrType.U32);
        IrSharedAllocation tile = bld.Shared(IrType.U16, 4 * 64);
        IrLocal lane = bld.Local("lane", IrType.I32), e = bld.Local("e", IrType.I32);
        IrLocal[] regs = [.. Enumerable.Range(0, 4).Select(k => bld.Local("r" + k, IrType.U32))];
        var body = new List<IrStmt>
        {
            Set(lane, S(IrSpecialKind.LaneIdx)),
            Set(e, I32(0)),
            For(Lt(Ref(e), I32(8)), [Set(e, Add(Ref(e), I32(1)))],
                Store(View(tile), Add(Mul(Ref(lane), I32(8)), Ref(e)), Load(View(src), Add(Mul(Ref(lane), I32(8)), Ref(e))))),
            GroupBarrier,
            // Four 8x8 matrices stored one after another, row-major: lane l gives row (l & 7) of matrix l >> 3.
            new IrLoadMatrix(regs, trans, View(tile), Mul(Ref(lane), I32(8))),
        };
        for (int k = 0; k < 4; k++) body.Add(Store(View(dst), Add(Mul(Ref(lane), I32(4)), I32(k)), Ref(regs[k])));
        KernelVariant variant = OpenCLKernelRunner.Variant(bld.Build("ldmatrix_dump", [.. body]), output);

        var rng = new Random(OpenCLKernelRunner.NewSeed());
        ushort[] m = [.. Enumerable.Range(0, 256).Select(_ => (ushort)rng.Next(0x10000))];
        using DeviceBuffer<ushort> sb = cl.Allocate<ushort>(256);
        using DeviceBuffer<uint> db = cl.Allocate<uint>(128);
        sb.CopyFrom(m);
        db.Fill(0xDEADBEEF);
        cl.Launch(variant, new LaunchDimensions(1, 32), [KernelArgument.Buffer(sb.View, ScalarType.UInt16), KernelArgument.Buffer(db.View, ScalarType.UInt32)]);
        uint[] got = db.ToArray();
        for (int l = 0; l < 32; l++)
            for (int k = 0; k < 4; k++)
            {
                // PTX: lane l holds row l/4, columns 2(l%4) and 2(l%4)+1 (low half first); .trans reads the matrix column-major.
                int r = l / 4, c0 = 2 * (l % 4);
                ushort lo = trans ? m[k * 64 + c0 * 8 + r] : m[k * 64 + r * 8 + c0];
                ushort hi = trans ? m[k * 64 + (c0 + 1) * 8 + r] : m[k * 64 + r * 8 + c0 + 1];
                uint expected = lo | ((uint)hi << 16);
                Assert.True(expected == got[l * 4 + k], $"lane {l} matrix {k}{(trans ? " (trans)" : "")}: 0x{got[l * 4 + k]:x8}, expected 0x{expected:x8}");
            }
    }

    [Fact]
    public void MmaOfFormulaPackedFragmentsMatchesTheHostMatmul()
    {
        OpenCLAccelerator? cl = OpenCLTestDevice.RequireOrSkipOutsideCI(output);
        if (cl is null) return;
        var bld = new IrBuilder();
        IrParam a = bld.Buffer("a", IrType.BF16), b = bld.Buffer("b", IrType.BF16), d = bld.Buffer("d", IrType.F32);
        IrLocal g = bld.Local("g", IrType.I32), t = bld.Local("t", IrType.I32);
        IrLocal[] df = [.. Enumerable.Range(0, 4).Select(k => bld.Local("d" + k, IrType.F32))];
        IrExpr I(int v) => I32(v);
        IrExpr F32Of(IrParam p, IrExpr index) => Conv(IrType.F32, Load(View(p), index));
        IrExpr Pack(IrParam p, IrExpr i0, IrExpr i1) => Math(IrMathOp.PackBF16, IrType.U32, F32Of(p, i0), F32Of(p, i1));
        // A row-major 16x16: reg j = row g + 8(j&1), columns 2t + 8(j>>1) + {0,1}. B k-major 16x8: reg j = rows 2t + 8j + {0,1}, column g.
        IrExpr aReg(int j) { IrExpr at = Add(Mul(Add(Ref(g), I((j & 1) * 8)), I(16)), Add(Shl(Ref(t), I(1)), I((j >> 1) * 8))); return Pack(a, at, Add(at, I(1))); }
        IrExpr bReg(int j) { IrExpr k0 = Add(Shl(Ref(t), I(1)), I(8 * j)); return Pack(b, Add(Mul(k0, I(8)), Ref(g)), Add(Mul(Add(k0, I(1)), I(8)), Ref(g))); }
        var body = new List<IrStmt>
        {
            Set(g, Shr(S(IrSpecialKind.LaneIdx), I(2))),
            Set(t, And(S(IrSpecialKind.LaneIdx), I(3))),
            new IrMma(IrMmaKind.BF16, df, [aReg(0), aReg(1), aReg(2), aReg(3)], [bReg(0), bReg(1)], [F32(0.5f), F32(0.5f), F32(0.5f), F32(0.5f)]),
        };
        for (int i = 0; i < 4; i++)
            body.Add(Store(View(d), Add(Mul(Add(Ref(g), I(i >> 1 << 3)), I(8)), Add(Shl(Ref(t), I(1)), I(i & 1))), Ref(df[i])));
        KernelVariant variant = OpenCLKernelRunner.Variant(bld.Build("mma_formula", [.. body]), output);

        int seed = OpenCLKernelRunner.NewSeed();
        var rng = new Random(seed);
        float[] av = [.. Enumerable.Range(0, 256).Select(_ => rng.Next(-8, 9) / 4f)], bv = [.. Enumerable.Range(0, 128).Select(_ => rng.Next(-8, 9) / 4f)];
        using DeviceBuffer<ushort> ab = cl.Allocate<ushort>(256);
        using DeviceBuffer<ushort> bb = cl.Allocate<ushort>(128);
        using DeviceBuffer<float> db = cl.Allocate<float>(128);
        ab.CopyFrom([.. av.Select(v => BFloat16.FromSingle(v).RawBits)]);
        bb.CopyFrom([.. bv.Select(v => BFloat16.FromSingle(v).RawBits)]);
        db.Fill(float.NaN);
        cl.Launch(variant, new LaunchDimensions(1, 32),
            [KernelArgument.Buffer(ab.View, ScalarType.BFloat16), KernelArgument.Buffer(bb.View, ScalarType.BFloat16), KernelArgument.Buffer(db.View, ScalarType.Float32)]);
        float[] got = db.ToArray();
        for (int m = 0; m < 16; m++)
            for (int n = 0; n < 8; n++)
            {
                float expected = 0.5f;
                for (int k = 0; k < 16; k++) expected += av[m * 16 + k] * bv[k * 8 + n];
                Assert.True(expected == got[m * 8 + n], $"seed {seed}: D[{m},{n}] = {got[m * 8 + n]}, expected {expected}");
            }
    }
}
