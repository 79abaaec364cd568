using RectifiedSpaAttn.Compute;
using RectifiedSpaAttn.Compute.OpenCL;
using RectifiedSpaAttn.Generators.Ir;
using static RectifiedSpaAttn.Generators.Tests.X;

namespace RectifiedSpaAttn.Generators.Tests.OpenCL;

/// <summary>Shuffle reductions (xor butterfly, down) and an idx gather in loops, against a host model of shfl.sync.</summary>
public sealed class WarpShuffleTests(ITestOutputHelper output)
{
    [Fact]
    public void ShuffleXorDownAndIdxMatchPtxSemantics()
    {
        OpenCLAccelerator? cl = OpenCLTestDevice.RequireOrSkipOutsideCI(output);
        if (cl is null) return;
        var bld = new IrBuilder();
        IrParam xs = bld.Buffer("xs", IrType.I32), outXor = bld.Buffer("out_xor", IrType.I32);
        IrParam outDown = bld.Buffer("out_down", IrType.F32), outIdx = bld.Buffer("out_idx", IrType.U32);
        IrLocal gi = bld.Local("gi", IrType.I32), s = bld.Local("s", IrType.I32), m = bld.Local("m", IrType.I32), tmp = bld.Local("tmp", IrType.I32);
        IrLocal f = bld.Local("f", IrType.F32), ftmp = bld.Local("ftmp", IrType.F32), u = bld.Local("u", IrType.U32);
        IrExpr lane = S(IrSpecialKind.LaneIdx);
        IrKernel kernel = bld.Build("shuffles",
            Set(gi, GlobalX),
            Set(s, Load(View(xs), Ref(gi))),
            Set(f, Conv(IrType.F32, And(Ref(s), I32(1023)))),
            Set(m, I32(16)),
            For(Cmp(IrCompareOp.Gt, Ref(m), I32(0)), [Set(m, Shr(Ref(m), I32(1)))],
                new IrShuffle(IrShuffleKind.Xor, tmp, Ref(s), Ref(m)),
                Set(s, Add(Ref(s), Ref(tmp))),
                new IrShuffle(IrShuffleKind.Down, ftmp, Ref(f), Ref(m)),
                Set(f, Add(Ref(f), Ref(ftmp)))),
            // Lane numbers past 31 are masked: lane*7+35 reads lane (lane*7+3) & 31.
            new IrShuffle(IrShuffleKind.Idx, u, Conv(IrType.U32, Load(View(xs), Ref(gi))), Add(Mul(lane, I32(7)), I32(35))),
            Store(View(outXor), Ref(gi), Ref(s)),
            Store(View(outDown), Ref(gi), Ref(f)),
            Store(View(outIdx), Ref(gi), Ref(u)));
        KernelVariant variant = OpenCLKernelRunner.Variant(kernel, output);

        int seed = OpenCLKernelRunner.NewSeed();
        var rng = new Random(seed);
        // The largest group this kernel runs with (1024 on pocl, less on NVIDIA), so every scratch word is used.
        int group = cl.MaxGroupSizeFor(variant) / 32 * 32, groups = 2, n = group * groups;
        int[] x = [.. Enumerable.Range(0, n).Select(_ => rng.Next(int.MinValue, int.MaxValue))];
        using DeviceBuffer<int> xb = cl.Allocate<int>(n);
        using DeviceBuffer<int> xo = cl.Allocate<int>(n);
        using DeviceBuffer<float> dn = cl.Allocate<float>(n);
        using DeviceBuffer<uint> io = cl.Allocate<uint>(n);
        xb.CopyFrom(x);
        xo.Fill(0x5EAD);
        dn.Fill(float.NaN);
        io.Fill(0xDEADBEEF);
        cl.Launch(variant, new LaunchDimensions(groups, group),
        [
            KernelArgument.Buffer(xb.View, ScalarType.Int32), KernelArgument.Buffer(xo.View, ScalarType.Int32),
            KernelArgument.Buffer(dn.View, ScalarType.Float32), KernelArgument.Buffer(io.View, ScalarType.UInt32),
        ]);
        int[] gotXor = xo.ToArray();
        float[] gotDown = dn.ToArray();
        uint[] gotIdx = io.ToArray();
        for (int w = 0; w < n / 32; w++)
        {
            int[] sv = x.Skip(w * 32).Take(32).ToArray();
            float[] fv = sv.Select(v => (float)(v & 1023)).ToArray();
            for (int mask = 16; mask > 0; mask >>= 1)
            {
                int[] sPrev = (int[])sv.Clone();
                float[] fPrev = (float[])fv.Clone();
                for (int l = 0; l < 32; l++)
                {
                    sv[l] = unchecked(sPrev[l] + sPrev[l ^ mask]);
                    fv[l] = fPrev[l] + (l + mask > 31 ? fPrev[l] : fPrev[l + mask]);
                }
            }
            for (int l = 0; l < 32; l++)
            {
                int at = w * 32 + l;
                Assert.True(sv[l] == gotXor[at], $"seed {seed}: xor sum at warp {w} lane {l}: {gotXor[at]}, expected {sv[l]}");
                Assert.True(fv[l] == gotDown[at], $"seed {seed}: down sum at warp {w} lane {l}: {gotDown[at]}, expected {fv[l]}");
                uint expectedIdx = (uint)x[w * 32 + ((l * 7 + 3) & 31)];
                Assert.True(expectedIdx == gotIdx[at], $"seed {seed}: idx at warp {w} lane {l}: {gotIdx[at]}, expected {expectedIdx}");
            }
        }
    }
}
