using RectifiedSpaAttn.Compute;
using RectifiedSpaAttn.Compute.OpenCL;
using RectifiedSpaAttn.Generators.Ir;
using RectifiedSpaAttn.Numerics;
using static RectifiedSpaAttn.Generators.Tests.X;

namespace RectifiedSpaAttn.Generators.Tests.OpenCL;

/// <summary>
/// Every warp stages its own A (16x16) and B (16x8) tile in shared memory, loads the fragments with ldmatrix and runs
/// mma.m16n8k16; D must equal the host's A·B + C exactly (the inputs are small multiples of 1/4, so every product and
/// sum is exact in f32 whatever the order). Each storage layout needs a different ldmatrix form, so together the cases
/// cover x1, x2 and x4 with and without .trans; 8 warps per group make the mma emulation take two rounds. With launch
/// bounds the round count is a constant of the program (the bound's warps), which may exceed the group's warps.
/// </summary>
public sealed class TensorCoreTests(ITestOutputHelper output)
{
    private const int WarpsPerGroup = 8, Groups = 2, Warps = WarpsPerGroup * Groups;

    /// <param name="bf16">bf16 (else f16) operands.</param>
    /// <param name="transposedStorage">A stored k-major (ldmatrix x4.trans) and B stored n-major (ldmatrix non-trans); else A row-major (x4) and B k-major (.trans).</param>
    /// <param name="bAsTwoX1">B loaded as two x1 loads instead of one x2.</param>
    /// <param name="maxGroupSize">The kernel's launch bounds (0: none): the group's 256 threads, or more.</param>
    [Theory]
    [InlineData(true, false, false, 0)]
    [InlineData(true, true, true, 0)]
    [InlineData(false, false, true, 0)]
    [InlineData(false, true, false, 0)]
    [InlineData(true, false, true, WarpsPerGroup * 32)]
    [InlineData(false, true, false, 1024)]
    public void MmaOfLdmatrixFragmentsMatchesTheHostMatmul(bool bf16, bool transposedStorage, bool bAsTwoX1, int maxGroupSize)
    {
        OpenCLAccelerator? cl = OpenCLTestDevice.RequireOrSkipOutsideCI(output);
        if (cl is null) return;
        var bld = new IrBuilder();
        IrParam a = bld.Buffer("a", IrType.U16), b = bld.Buffer("b", IrType.U16), c = bld.Buffer("c", IrType.F32), d = bld.Buffer("d", IrType.F32);
        IrSharedAllocation aS = bld.Shared(IrType.U16, WarpsPerGroup * 256), bS = bld.Shared(IrType.U16, WarpsPerGroup * 128);
        IrLocal lane = bld.Local("lane", IrType.I32), w = bld.Local("w", IrType.I32), gw = bld.Local("gw", IrType.I32), e = bld.Local("e", IrType.I32);
        IrLocal mat = bld.Local("mat", IrType.I32), r = bld.Local("r", IrType.I32);
        IrLocal[] af = [.. Enumerable.Range(0, 4).Select(k => bld.Local("a" + k, IrType.U32))];
        IrLocal[] bf = [.. Enumerable.Range(0, 2).Select(k => bld.Local("b" + k, IrType.U32))];
        IrLocal[] df = [.. Enumerable.Range(0, 4).Select(k => bld.Local("d" + k, IrType.F32))];
        IrExpr I(int v) => I32(v);
        // This warp's tiles, as views whose byte offset depends on the warp.
        IrView aTile = new(aS, IrType.U16, Mul(Conv(IrType.I64, Ref(w)), I64(512)), I64(256));
        IrView bTile = new(bS, IrType.U16, Mul(Conv(IrType.I64, Ref(w)), I64(256)), I64(128));
        IrExpr row(int i) => Add(Shr(Ref(lane), I(2)), I(i >> 1 << 3));
        IrExpr col(int i) => Add(Shl(And(Ref(lane), I(3)), I(1)), I(i & 1));

        var body = new List<IrStmt>
        {
            Set(lane, S(IrSpecialKind.LaneIdx)),
            Set(w, S(IrSpecialKind.WarpIdx)),
            Set(gw, Add(Mul(S(IrSpecialKind.GridIdxX), I(WarpsPerGroup)), Ref(w))),
            Set(e, I(0)),
            For(Lt(Ref(e), I(8)), [Set(e, Add(Ref(e), I(1)))],
                Store(aTile, Add(Mul(Ref(lane), I(8)), Ref(e)), Load(View(a), Add(Mul(Ref(gw), I(256)), Add(Mul(Ref(lane), I(8)), Ref(e)))))),
            Set(e, I(0)),
            For(Lt(Ref(e), I(4)), [Set(e, Add(Ref(e), I(1)))],
                Store(bTile, Add(Mul(Ref(lane), I(4)), Ref(e)), Load(View(b), Add(Mul(Ref(gw), I(128)), Add(Mul(Ref(lane), I(4)), Ref(e)))))),
            GroupBarrier,
            Set(mat, Shr(Ref(lane), I(3))),
            Set(r, And(Ref(lane), I(7))),
        };
        if (!transposedStorage)
        {
            // A row-major: matrix m covers rows 8(m&1).., columns 8(m>>1)..; B k-major [k][n]: rows are k.
            body.Add(new IrLoadMatrix(af, false, aTile, Add(Mul(Add(Ref(r), Mul(And(Ref(mat), I(1)), I(8))), I(16)), Mul(Shr(Ref(mat), I(1)), I(8)))));
            if (bAsTwoX1)
            {
                body.Add(new IrLoadMatrix([bf[0]], true, bTile, Mul(Ref(r), I(8))));
                body.Add(new IrLoadMatrix([bf[1]], true, bTile, Mul(Add(Ref(r), I(8)), I(8))));
            }
            else body.Add(new IrLoadMatrix(bf, true, bTile, Mul(And(Ref(lane), I(15)), I(8))));
        }
        else
        {
            // A k-major [k][m]: matrix m holds k rows 8(m>>1).., m columns 8(m&1)..; B n-major [n][k].
            body.Add(new IrLoadMatrix(af, true, aTile, Add(Mul(Add(Ref(r), Mul(Shr(Ref(mat), I(1)), I(8))), I(16)), Mul(And(Ref(mat), I(1)), I(8)))));
            if (bAsTwoX1)
            {
                body.Add(new IrLoadMatrix([bf[0]], false, bTile, Mul(Ref(r), I(16))));
                body.Add(new IrLoadMatrix([bf[1]], false, bTile, Add(Mul(Ref(r), I(16)), I(8))));
            }
            else body.Add(new IrLoadMatrix(bf, false, bTile, Add(Mul(Ref(r), I(16)), Mul(And(Ref(mat), I(1)), I(8)))));
        }
        IrExpr cAt(int i) => Add(Mul(Ref(gw), I(128)), Add(Mul(row(i), I(8)), col(i)));
        body.Add(new IrMma(bf16 ? IrMmaKind.BF16 : IrMmaKind.F16, df, [.. af.Select(Ref)], [.. bf.Select(Ref)],
            [.. Enumerable.Range(0, 4).Select(i => Load(View(c), cAt(i)))]));
        for (int i = 0; i < 4; i++) body.Add(Store(View(d), cAt(i), Ref(df[i])));
        IrKernel kernel = bld.Build("mma_tile", [.. body]);
        if (maxGroupSize > 0)
            kernel = new IrKernel(kernel.EntryPoint, kernel.Parameters, kernel.Locals, kernel.SharedAllocations, kernel.UsesDynamicShared,
                kernel.Body, new IrLaunchBounds(maxGroupSize, 0));
        KernelVariant variant = OpenCLKernelRunner.Variant(kernel, output);
        Assert.Contains(maxGroupSize > 0 ? $"const int rsa_warps = {maxGroupSize / 32};" : "const int rsa_warps = (int)((get_local_size(0)", variant.OpenCL);

        int seed = OpenCLKernelRunner.NewSeed();
        var rng = new Random(seed);
        float[,,] A = new float[Warps, 16, 16], B = new float[Warps, 16, 8];
        ushort[] aBits = new ushort[Warps * 256], bBits = new ushort[Warps * 128];
        float[] cv = new float[Warps * 128];
        ushort Bits(float v) => bf16 ? BFloat16.FromSingle(v).RawBits : BitConverter.HalfToUInt16Bits((Half)v);
        for (int g = 0; g < Warps; g++)
        {
            for (int m = 0; m < 16; m++)
                for (int k = 0; k < 16; k++)
                {
                    A[g, m, k] = rng.Next(-8, 9) / 4f;
                    aBits[g * 256 + (transposedStorage ? k * 16 + m : m * 16 + k)] = Bits(A[g, m, k]);
                }
            for (int k = 0; k < 16; k++)
                for (int n = 0; n < 8; n++)
                {
                    B[g, k, n] = rng.Next(-8, 9) / 4f;
                    bBits[g * 128 + (transposedStorage ? n * 16 + k : k * 8 + n)] = Bits(B[g, k, n]);
                }
            for (int k = 0; k < 128; k++) cv[g * 128 + k] = rng.Next(-50, 50);
        }
        using DeviceBuffer<ushort> ab = cl.Allocate<ushort>(aBits.Length);
        using DeviceBuffer<ushort> bb = cl.Allocate<ushort>(bBits.Length);
        using DeviceBuffer<float> cb = cl.Allocate<float>(cv.Length);
        using DeviceBuffer<float> db = cl.Allocate<float>(cv.Length);
        ab.CopyFrom(aBits);
        bb.CopyFrom(bBits);
        cb.CopyFrom(cv);
        db.Fill(float.NaN);
        cl.Launch(variant, new LaunchDimensions(Groups, WarpsPerGroup * 32),
        [
            KernelArgument.Buffer(ab.View, ScalarType.UInt16), KernelArgument.Buffer(bb.View, ScalarType.UInt16),
            KernelArgument.Buffer(cb.View, ScalarType.Float32), KernelArgument.Buffer(db.View, ScalarType.Float32),
        ]);
        float[] got = db.ToArray();
        for (int g = 0; g < Warps; g++)
            for (int m = 0; m < 16; m++)
                for (int n = 0; n < 8; n++)
                {
                    float expected = cv[g * 128 + m * 8 + n];
                    for (int k = 0; k < 16; k++) expected += A[g, m, k] * B[g, k, n];
                    Assert.True(expected == got[g * 128 + m * 8 + n], $"seed {seed}: warp {g} D[{m},{n}] = {got[g * 128 + m * 8 + n]}, expected {expected}");
                }
    }
}
