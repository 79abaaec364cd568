using RectifiedSpaAttn.Compute;
using RectifiedSpaAttn.Compute.Cpu;
using RectifiedSpaAttn.Generators.Ir;

namespace RectifiedSpaAttn.Generators.Tests.Cpu;

/// <summary>16-byte vector access, cp.async, views with byte offsets and their lengths, math intrinsics, partial warps.</summary>
public sealed class CpuMemoryOpsTests
{
    private const int GroupSize = 64, Groups = 2, Threads = GroupSize * Groups;

    [Fact]
    public void AsyncCopyVectorAccessAndOffsetViews()
    {
        var b = new IrBuilder();
        IrParam src = b.Buffer("src", IrType.U32), dst = b.Buffer("dst", IrType.U32), dst2 = b.Buffer("dst2", IrType.U32), lens = b.Buffer("lens", IrType.I64);
        IrSharedAllocation stage = b.Shared(IrType.U32, GroupSize * 4);
        IrView s = X.View(stage);
        IrLocal g = b.Let("g", X.GlobalX);
        b.Add(new IrAsyncCopy(s, X.Mul(X.Tid, X.I32(4)), X.View(src), X.Mul(X.Ref(g), X.I32(4))));
        b.Add(IrAsyncCommit.Instance);
        b.Add(new IrAsyncWait(0));
        b.Barrier();
        // Each thread takes its neighbour's 16 bytes from shared memory.
        IrLocal[] w = [b.Local("w0", IrType.U32), b.Local("w1", IrType.U32), b.Local("w2", IrType.U32), b.Local("w3", IrType.U32)];
        b.Add(new IrVectorLoad(w, s, X.Mul(X.Rem(X.Add(X.Tid, X.I32(1)), X.I32(GroupSize)), X.I32(4))));
        b.Add(new IrVectorStore(X.View(dst), X.Mul(X.Ref(g), X.I32(4)), w.Select(l => (IrExpr)X.Ref(l)).ToArray()));
        // src seen as ushorts from byte 16 on: element 8g starts at byte 16 + 16g; only two of the words are used.
        IrView halves = X.View(src, IrType.U16, 16);
        IrLocal[] v = [b.Local("v0", IrType.U32), b.Local("v1", IrType.U32), b.Local("v2", IrType.U32), b.Local("v3", IrType.U32)];
        b.If(X.Lt(X.Ref(g), X.I32(Threads - 1)), () =>
        {
            b.Add(new IrVectorLoad(v, halves, X.Mul(X.Ref(g), X.I32(8))));
            b.Add(new IrVectorStore(X.View(dst2), X.Mul(X.Ref(g), X.I32(4)), [X.Ref(v[3]), X.Ref(v[0]), X.U32(7), X.U32(9)]));
        });
        b.Store(X.View(lens), X.Ref(g), new IrViewLength(halves));
        KernelVariant kernel = CpuKernelCompiler.Compile(b.Build("vector_memory"));

        uint[] input = Enumerable.Range(0, Threads * 4).Select(k => (uint)(k * 2654435761u)).ToArray();
        using var cpu = new CpuAccelerator();
        using DeviceBuffer<uint> sb = cpu.Allocate<uint>(input.Length), db = cpu.Allocate<uint>(input.Length), d2 = cpu.Allocate<uint>(input.Length);
        using DeviceBuffer<long> lb = cpu.Allocate<long>(Threads);
        sb.CopyFrom(input);
        db.Fill(0xDEADBEEF);
        d2.Fill(0xDEADBEEF);
        cpu.Launch(kernel, new LaunchDimensions(Groups, GroupSize),
        [
            KernelArgument.Buffer(sb.View, ScalarType.UInt32), KernelArgument.Buffer(db.View, ScalarType.UInt32),
            KernelArgument.Buffer(d2.View, ScalarType.UInt32), KernelArgument.Buffer(lb.View, ScalarType.Int64),
        ]);

        uint[] moved = db.ToArray(), words = d2.ToArray();
        for (int t = 0; t < Threads; t++)
        {
            int group = t / GroupSize, neighbour = group * GroupSize + (t % GroupSize + 1) % GroupSize;
            Assert.Equal(input.AsSpan(neighbour * 4, 4).ToArray(), moved.AsSpan(t * 4, 4).ToArray());
            uint[] expected = t < Threads - 1 ? [input[4 * t + 7], input[4 * t + 4], 7, 9] : [0xDEADBEEF, 0xDEADBEEF, 0xDEADBEEF, 0xDEADBEEF];
            Assert.Equal(expected, words.AsSpan(t * 4, 4).ToArray());
        }
        Assert.All(lb.ToArray(), n => Assert.Equal((input.Length * 4 - 16) / 2, n));
    }

    [Fact]
    public void AMisalignedVectorLoadIsReported()
    {
        var b = new IrBuilder();
        IrParam src = b.Buffer("src", IrType.U32);
        IrLocal[] w = [b.Local("w0", IrType.U32), b.Local("w1", IrType.U32), b.Local("w2", IrType.U32), b.Local("w3", IrType.U32)];
        b.Add(new IrVectorLoad(w, X.View(src), X.Add(X.Mul(X.Tid, X.I32(4)), X.I32(1))));
        b.Store(X.View(src), X.Tid, X.Ref(w[2]));
        KernelVariant kernel = CpuKernelCompiler.Compile(b.Build("misaligned"));

        using var cpu = new CpuAccelerator();
        using DeviceBuffer<uint> sb = cpu.Allocate<uint>(256);
        var error = Assert.Throws<AggregateException>(() => cpu.Launch(kernel, new LaunchDimensions(1, 32), [KernelArgument.Buffer(sb.View, ScalarType.UInt32)]));
        Assert.Contains("Misaligned", Assert.Single(error.InnerExceptions).Message);
    }

    [Fact]
    public void MathIntrinsicsAreTheExactCpuFunctions()
    {
        (IrMathOp Op, Func<float, float> Host)[] ops =
        [
            (IrMathOp.Exp, MathF.Exp), (IrMathOp.Exp2, float.Exp2), (IrMathOp.Log, MathF.Log), (IrMathOp.Log2, MathF.Log2),
            (IrMathOp.Sqrt, MathF.Sqrt), (IrMathOp.Rsqrt, x => 1f / MathF.Sqrt(x)), (IrMathOp.Exp2Fast, float.Exp2),
            (IrMathOp.RcpFast, x => 1f / x), (IrMathOp.Tanh, MathF.Tanh), (IrMathOp.Sin, MathF.Sin), (IrMathOp.Cos, MathF.Cos),
            (IrMathOp.Floor, MathF.Floor), (IrMathOp.Ceil, MathF.Ceiling), (IrMathOp.Abs, MathF.Abs),
        ];
        var b = new IrBuilder();
        IrParam x = b.Buffer("x", IrType.F32), o = b.Buffer("o", IrType.F32);
        IrLocal v = b.Let("v", X.Load(X.View(x), X.GlobalX));
        for (int k = 0; k < ops.Length; k++)
            b.Store(X.View(o), X.Add(X.Mul(X.GlobalX, X.I32(ops.Length)), X.I32(k)), X.Math(ops[k].Op, IrType.F32, X.Ref(v)));
        KernelVariant kernel = CpuKernelCompiler.Compile(b.Build("math"));

        float[] input = TestData.Floats(64, seed: 10).Select(MathF.Abs).ToArray();
        using var cpu = new CpuAccelerator();
        using DeviceBuffer<float> xb = cpu.Allocate<float>(64), ob = cpu.Allocate<float>(64 * ops.Length);
        xb.CopyFrom(input);
        cpu.Launch(kernel, new LaunchDimensions(2, 32), [KernelArgument.Buffer(xb.View, ScalarType.Float32), KernelArgument.Buffer(ob.View, ScalarType.Float32)]);
        float[] result = ob.ToArray();
        for (int t = 0; t < 64; t++)
            for (int k = 0; k < ops.Length; k++)
                Assert.Equal(ops[k].Host(input[t]), result[t * ops.Length + k]);
    }

    [Fact]
    public void APartialLastWarpShufflesAmongItsOwnLanesAndPassesBarriers()
    {
        const int size = 48; // One full warp and one of 16 lanes.
        var b = new IrBuilder();
        IrParam o = b.Buffer("o", IrType.I32);
        IrLocal swapped = b.Shuffle(IrShuffleKind.Xor, X.Tid, X.I32(1));
        b.Barrier();
        b.Store(X.View(o), X.Tid, X.Ref(swapped));
        KernelVariant kernel = CpuKernelCompiler.Compile(b.Build("partial_warp"));

        using var cpu = new CpuAccelerator();
        using DeviceBuffer<int> output = cpu.Allocate<int>(size);
        output.Fill(-1);
        cpu.Launch(kernel, new LaunchDimensions(1, size), [KernelArgument.Buffer(output.View, ScalarType.Int32)]);
        Assert.Equal(Enumerable.Range(0, size).Select(t => t ^ 1).ToArray(), output.ToArray());
    }
}
