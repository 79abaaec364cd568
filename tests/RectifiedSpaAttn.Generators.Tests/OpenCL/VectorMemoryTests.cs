using RectifiedSpaAttn.Compute;
using RectifiedSpaAttn.Compute.OpenCL;
using RectifiedSpaAttn.Generators.Ir;
using static RectifiedSpaAttn.Generators.Tests.X;

namespace RectifiedSpaAttn.Generators.Tests.OpenCL;

/// <summary>
/// 16-byte vector loads and stores on global, static shared and dynamic shared memory, re-typed views with byte
/// offsets, and cp.async (commit, wait, then the kernel's barrier) from a float buffer into shared memory.
/// </summary>
public sealed class VectorMemoryTests(ITestOutputHelper output)
{
    [Fact]
    public void VectorCopiesThroughSharedMemoryKeepEveryWord()
    {
        OpenCLAccelerator? cl = OpenCLTestDevice.RequireOrSkipOutsideCI(output);
        if (cl is null) return;
        const int Group = 64;
        var bld = new IrBuilder();
        IrParam src = bld.Buffer("src", IrType.F32), dst = bld.Buffer("dst", IrType.U32);
        IrSharedAllocation stage = bld.Shared(IrType.F32, Group * 4);
        IrView dyn = bld.DynamicShared(IrType.U32, 16, Group * 4); // dynamic shared, 16 bytes in
        IrLocal t = bld.Local("t", IrType.I32), gi = bld.Local("gi", IrType.I32);
        IrLocal[] w = [.. Enumerable.Range(0, 4).Select(k => bld.Local("w" + k, IrType.U32))];
        // src as uint words, 32 bytes in (8 floats): element i of this view is float 8 + i.
        IrView srcWords = View(src, IrType.U32, I64(32), Sub(Mul(new IrBufferLength(src), I64(1)), I64(8)));
        IrKernel kernel = bld.Build("vectors",
            Set(t, S(IrSpecialKind.GroupIdxX)),
            Set(gi, GlobalX),
            // 1) cp.async 16 bytes of floats into static shared.
            new IrAsyncCopy(View(stage), Mul(Ref(t), I32(4)), View(src), Add(I32(8), Mul(Ref(gi), I32(4)))),
            IrAsyncCommit.Instance,
            new IrAsyncWait(0),
            GroupBarrier,
            // 2) vector load from shared (the neighbour's slot, so the barrier matters), as uint words.
            new IrVectorLoad(w, View(stage, IrType.U32, 0, Group * 4), Mul(Rem(Add(Ref(t), I32(1)), I32(Group)), I32(4))),
            // 3) through dynamic shared with a vector store and load.
            new IrVectorStore(dyn, Mul(Ref(t), I32(4)), [Add(Ref(w[0]), U32(1)), Ref(w[1]), Ref(w[2]), Xor(Ref(w[3]), U32(0x80000000))]),
            GroupBarrier,
            new IrVectorLoad(w, dyn, Mul(Ref(t), I32(4))),
            // 4) vector store to global, plus a vector load straight from the re-typed global view.
            new IrVectorStore(View(dst), Mul(Ref(gi), I32(8)), [.. w.Select(Ref)]),
            new IrVectorLoad(w, srcWords, Mul(Ref(gi), I32(4))),
            new IrVectorStore(View(dst), Add(Mul(Ref(gi), I32(8)), I32(4)), [.. w.Select(Ref)]));
        Assert.True(kernel.UsesDynamicShared);
        KernelVariant variant = OpenCLKernelRunner.Variant(kernel, output);

        int seed = OpenCLKernelRunner.NewSeed();
        var rng = new Random(seed);
        int groups = rng.Next(1, 6), n = groups * Group;
        float[] x = [.. Enumerable.Range(0, 8 + 4 * n).Select(_ => (float)rng.NextDouble())];
        using DeviceBuffer<float> sb = cl.Allocate<float>(x.Length);
        using DeviceBuffer<uint> db = cl.Allocate<uint>(8L * n + 4);
        sb.CopyFrom(x);
        db.Fill(0xDEADBEEF);
        cl.Launch(variant, new LaunchDimensions(groups, Group, 16 + Group * 16),
            [KernelArgument.Buffer(sb.View, ScalarType.Float32), KernelArgument.Buffer(db.SubView(0, 8L * n), ScalarType.UInt32)]);
        uint[] got = db.ToArray();
        uint Word(int floatIndex) => BitConverter.SingleToUInt32Bits(x[floatIndex]);
        for (int g = 0; g < groups; g++)
            for (int t0 = 0; t0 < Group; t0++)
            {
                int i = g * Group + t0, neighbour = g * Group + (t0 + 1) % Group;
                uint[] viaShared = [Word(8 + 4 * neighbour) + 1, Word(9 + 4 * neighbour), Word(10 + 4 * neighbour), Word(11 + 4 * neighbour) ^ 0x80000000];
                uint[] direct = [Word(8 + 4 * i), Word(9 + 4 * i), Word(10 + 4 * i), Word(11 + 4 * i)];
                for (int k = 0; k < 4; k++)
                {
                    Assert.True(viaShared[k] == got[8 * i + k], $"seed {seed}: thread {i} word {k} through shared = 0x{got[8 * i + k]:x8}, expected 0x{viaShared[k]:x8}");
                    Assert.True(direct[k] == got[8 * i + 4 + k], $"seed {seed}: thread {i} word {k} from global = 0x{got[8 * i + 4 + k]:x8}, expected 0x{direct[k]:x8}");
                }
            }
        for (long k = 8L * n; k < got.Length; k++) Assert.Equal(0xDEADBEEFu, got[k]);
    }
}
