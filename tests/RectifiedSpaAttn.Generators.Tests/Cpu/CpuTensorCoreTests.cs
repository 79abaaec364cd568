using RectifiedSpaAttn.Compute;
using RectifiedSpaAttn.Compute.Cpu;
using RectifiedSpaAttn.Generators.Ir;
using RectifiedSpaAttn.Numerics;

namespace RectifiedSpaAttn.Generators.Tests.Cpu;

/// <summary>ldmatrix and mma.m16n8k16 with the PTX ISA's fragment layouts.</summary>
public sealed class CpuTensorCoreTests
{
    /// <summary>Lane l gives the row at <c>Perm(l) * 8</c>: rows are not contiguous by lane, so the addresses must really be used.</summary>
    private static int Perm(int lane) => (lane * 7 + 3) % 32;

    [Fact]
    public void LoadMatrixGivesEachLaneItsFragmentForEveryCountAndTransposition()
    {
        var b = new IrBuilder();
        IrParam o = b.Buffer("o", IrType.U32);
        IrSharedAllocation tile = b.Shared(IrType.U16, 32 * 8);
        IrView s = X.View(tile);
        // Fill: element e holds 1000 + e (8 per thread).
        b.For("j", X.I32(0), X.I32(8), X.I32(1), j =>
        {
            IrExpr e = X.Add(X.Mul(X.Lane, X.I32(8)), X.Ref(j));
            b.Store(s, e, X.Conv(IrType.U16, X.Add(e, X.I32(1000))));
        });
        b.WarpBarrier();
        IrExpr permutedRow = X.Mul(X.Rem(X.Add(X.Mul(X.Lane, X.I32(7)), X.I32(3)), X.I32(32)), X.I32(8));
        int variant = 0;
        foreach (bool trans in new[] { false, true })
        {
            foreach (int count in new[] { 1, 2, 4 })
            {
                // Lanes whose address the instruction ignores give one far outside the allocation.
                IrExpr row = X.Cond(X.Lt(X.Lane, X.I32(8 * count)), permutedRow, X.I32(1_000_000));
                IrLocal[] targets = Enumerable.Range(0, count).Select(r => b.Local("r" + r, IrType.U32)).ToArray();
                b.Add(new IrLoadMatrix(targets, trans, s, row));
                for (int r = 0; r < count; r++)
                    b.Store(X.View(o), X.Add(X.Mul(X.Add(X.I32(variant * 32), X.Lane), X.I32(4)), X.I32(r)), X.Ref(targets[r]));
                variant++;
            }
        }
        KernelVariant kernel = CpuKernelCompiler.Compile(b.Build("ldmatrix_all"));

        using var cpu = new CpuAccelerator();
        using DeviceBuffer<uint> output = cpu.Allocate<uint>(6 * 32 * 4);
        output.Fill(0xDEADBEEF);
        cpu.Launch(kernel, new LaunchDimensions(1, 32), [KernelArgument.Buffer(output.View, ScalarType.UInt32)]);
        uint[] result = output.ToArray();

        static uint Element(int row, int col) => (uint)(1000 + row * 8 + col);
        variant = 0;
        foreach (bool trans in new[] { false, true })
        {
            foreach (int count in new[] { 1, 2, 4 })
            {
                for (int lane = 0; lane < 32; lane++)
                {
                    for (int m = 0; m < 4; m++)
                    {
                        uint actual = result[(variant * 32 + lane) * 4 + m];
                        if (m >= count)
                        {
                            Assert.Equal(0xDEADBEEF, actual);
                            continue;
                        }
                        // PTX: lane l gets row l/4, elements 2(l%4) and +1 of matrix m (rows from lanes 8m..8m+7);
                        // .trans reads the matrix transposed: column l/4 of rows 2(l%4) and +1.
                        int q = lane / 4, p = 2 * (lane % 4);
                        (uint lo, uint hi) = trans
                            ? (Element(Perm(8 * m + p), q), Element(Perm(8 * m + p + 1), q))
                            : (Element(Perm(8 * m + q), p), Element(Perm(8 * m + q), p + 1));
                        Assert.Equal(lo | hi << 16, actual);
                    }
                }
                variant++;
            }
        }
    }

    [Theory]
    [InlineData(IrMmaKind.BF16, false, true)]
    [InlineData(IrMmaKind.BF16, true, false)]
    [InlineData(IrMmaKind.F16, false, true)]
    [InlineData(IrMmaKind.F16, true, true)]
    [InlineData(IrMmaKind.F16, false, false)]
    public void MmaOfTilesLoadedByLoadMatrixIsTheMatrixProduct(IrMmaKind kind, bool aStoredTransposed, bool bStoredKByN)
    {
        const int warpsPerGroup = 2, groups = 2, tiles = warpsPerGroup * groups;
        KernelVariant kernel = CpuKernelCompiler.Compile(MmaKernel(kind, aStoredTransposed, bStoredKByN));

        // Host matrices: A 16x16, B 16x8 (K x N), C 16x8, per tile; 16-bit inputs exact in float.
        var random = new Random(11 + (int)kind);
        float[][] a = new float[tiles][], bm = new float[tiles][], c = new float[tiles][];
        ushort[] aBits = new ushort[tiles * 256], bBits = new ushort[tiles * 128];
        float[] cFlat = new float[tiles * 128];
        for (int t = 0; t < tiles; t++)
        {
            a[t] = new float[256];
            bm[t] = new float[128];
            c[t] = new float[128];
            for (int m = 0; m < 16; m++)
            for (int k = 0; k < 16; k++)
            {
                (a[t][m * 16 + k], ushort bits) = Round16(kind, random.NextDouble() * 4 - 2);
                aBits[t * 256 + (aStoredTransposed ? k * 16 + m : m * 16 + k)] = bits;
            }
            for (int k = 0; k < 16; k++)
            for (int n = 0; n < 8; n++)
            {
                (bm[t][k * 8 + n], ushort bits) = Round16(kind, random.NextDouble() * 4 - 2);
                bBits[t * 128 + (bStoredKByN ? k * 8 + n : n * 16 + k)] = bits;
            }
            for (int i = 0; i < 128; i++) cFlat[t * 128 + i] = c[t][i] = (float)(random.NextDouble() * 10 - 5);
        }

        using var cpu = new CpuAccelerator();
        using DeviceBuffer<ushort> aBuffer = cpu.Allocate<ushort>(aBits.Length), bBuffer = cpu.Allocate<ushort>(bBits.Length);
        using DeviceBuffer<float> cBuffer = cpu.Allocate<float>(cFlat.Length), dBuffer = cpu.Allocate<float>(cFlat.Length);
        aBuffer.CopyFrom(aBits);
        bBuffer.CopyFrom(bBits);
        cBuffer.CopyFrom(cFlat);
        dBuffer.Fill(float.NaN);
        cpu.Launch(kernel, new LaunchDimensions(groups, 32 * warpsPerGroup),
        [
            KernelArgument.Buffer(aBuffer.View, ScalarType.UInt16), KernelArgument.Buffer(bBuffer.View, ScalarType.UInt16),
            KernelArgument.Buffer(cBuffer.View, ScalarType.Float32), KernelArgument.Buffer(dBuffer.View, ScalarType.Float32),
        ]);
        float[] d = dBuffer.ToArray();

        for (int t = 0; t < tiles; t++)
        for (int m = 0; m < 16; m++)
        for (int n = 0; n < 8; n++)
        {
            // The backend's documented order: products (exact in f32) summed in ascending k, then C added.
            float sum = a[t][m * 16] * bm[t][n];
            double exact = c[t][m * 8 + n];
            for (int k = 0; k < 16; k++)
            {
                if (k > 0) sum += a[t][m * 16 + k] * bm[t][k * 8 + n];
                exact += (double)a[t][m * 16 + k] * bm[t][k * 8 + n];
            }
            float actual = d[t * 128 + m * 8 + n];
            Assert.Equal(sum + c[t][m * 8 + n], actual);
            Assert.True(Math.Abs(actual - exact) < 1e-4, $"tile {t} D[{m},{n}] = {actual}, expected {exact}");
        }
    }

    private static (float Value, ushort Bits) Round16(IrMmaKind kind, double value)
    {
        if (kind == IrMmaKind.BF16)
        {
            BFloat16 v = BFloat16.FromDouble(value);
            return (v.ToSingle(), v.RawBits);
        }
        Half h = (Half)value;
        return ((float)h, BitConverter.HalfToUInt16Bits(h));
    }

    /// <summary>
    /// Each warp multiplies one 16x16 by 16x8 tile (tile = group * 2 + warp): copies A and B into shared memory,
    /// loads A with ldmatrix.x4 (.trans when A is stored transposed) and B with ldmatrix.x2 (.trans when B is
    /// stored K x N), loads its C fragment from global memory, and stores D (accumulated in place over C).
    /// </summary>
    private static IrKernel MmaKernel(IrMmaKind kind, bool aStoredTransposed, bool bStoredKByN)
    {
        var b = new IrBuilder();
        IrParam a = b.Buffer("a", IrType.U16), bb = b.Buffer("b", IrType.U16), c = b.Buffer("c", IrType.F32), d = b.Buffer("d", IrType.F32);
        IrSharedAllocation sa = b.Shared(IrType.U16, 2 * 256), sb = b.Shared(IrType.U16, 2 * 128);
        IrLocal warp = b.Let("warp", X.S(IrSpecialKind.WarpIdx));
        IrLocal lane = b.Let("lane", X.Lane);
        IrLocal tile = b.Let("tile", X.Add(X.Mul(X.S(IrSpecialKind.GridIdxX), X.I32(2)), X.Ref(warp)));
        b.For("j", X.I32(0), X.I32(8), X.I32(1), j =>
        {
            IrExpr e = X.Add(X.Mul(X.Ref(lane), X.I32(8)), X.Ref(j));
            b.Store(X.View(sa), X.Add(X.Mul(X.Ref(warp), X.I32(256)), e), X.Load(X.View(a), X.Add(X.Mul(X.Ref(tile), X.I32(256)), e)));
        });
        b.For("j", X.I32(0), X.I32(4), X.I32(1), j =>
        {
            IrExpr e = X.Add(X.Mul(X.Ref(lane), X.I32(4)), X.Ref(j));
            b.Store(X.View(sb), X.Add(X.Mul(X.Ref(warp), X.I32(128)), e), X.Load(X.View(bb), X.Add(X.Mul(X.Ref(tile), X.I32(128)), e)));
        });
        b.Barrier();

        // A: matrix mi = lane/8 is register mi: rows 8*(mi&1).., columns 8*(mi>>1).. of A; row r = lane%8.
        IrLocal mi = b.Let("mi", X.Shr(X.Ref(lane), X.I32(3)));
        IrLocal r = b.Let("r", X.And(X.Ref(lane), X.I32(7)));
        IrExpr lowBit = X.And(X.Ref(mi), X.I32(1)), highBit = X.Shr(X.Ref(mi), X.I32(1));
        IrExpr aRow = aStoredTransposed
            ? X.Add(X.Mul(X.Add(X.Mul(highBit, X.I32(8)), X.Ref(r)), X.I32(16)), X.Mul(lowBit, X.I32(8))) // At[k][m]
            : X.Add(X.Mul(X.Add(X.Ref(r), X.Mul(lowBit, X.I32(8))), X.I32(16)), X.Mul(highBit, X.I32(8)));
        IrLocal[] af = [b.Local("a0", IrType.U32), b.Local("a1", IrType.U32), b.Local("a2", IrType.U32), b.Local("a3", IrType.U32)];
        b.Add(new IrLoadMatrix(af, aStoredTransposed, X.View(sa), X.Add(X.Mul(X.Ref(warp), X.I32(256)), aRow)));

        // B: matrix mb = (lane/8)&1 covers k = 8*mb..; lanes 16-31 are ignored by x2.
        IrExpr mb = lowBit;
        IrExpr bRow = bStoredKByN
            ? X.Mul(X.Add(X.Mul(mb, X.I32(8)), X.Ref(r)), X.I32(8)) // B[k][n], read transposed
            : X.Add(X.Mul(X.Ref(r), X.I32(16)), X.Mul(mb, X.I32(8))); // Bt[n][k]
        IrLocal[] bf = [b.Local("b0", IrType.U32), b.Local("b1", IrType.U32)];
        b.Add(new IrLoadMatrix(bf, bStoredKByN, X.View(sb), X.Add(X.Mul(X.Ref(warp), X.I32(128)), bRow)));

        // C/D fragment i: row g + 8*(i>>1), column 2t + (i&1).
        IrExpr g = X.Shr(X.Ref(lane), X.I32(2)), t2 = X.Mul(X.And(X.Ref(lane), X.I32(3)), X.I32(2));
        IrLocal[] acc = new IrLocal[4];
        IrExpr[] at = new IrExpr[4];
        for (int i = 0; i < 4; i++)
        {
            at[i] = X.Add(X.Mul(X.Ref(tile), X.I32(128)), X.Add(X.Mul(X.Add(g, X.I32(8 * (i >> 1))), X.I32(8)), X.Add(t2, X.I32(i & 1))));
            acc[i] = b.Let("acc" + i, X.Load(X.View(c), at[i]));
        }
        b.Add(new IrMma(kind, acc, af.Select(l => (IrExpr)X.Ref(l)).ToArray(), bf.Select(l => (IrExpr)X.Ref(l)).ToArray(),
            acc.Select(l => (IrExpr)X.Ref(l)).ToArray()));
        for (int i = 0; i < 4; i++) b.Store(X.View(d), at[i], X.Ref(acc[i]));
        return b.Build("mma_tile_" + kind.ToString().ToLowerInvariant() + (aStoredTransposed ? "_at" : "") + (bStoredKByN ? "_bkn" : ""));
    }
}
