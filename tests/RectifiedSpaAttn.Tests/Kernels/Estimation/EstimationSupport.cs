using RectifiedSpaAttn.Compute;
using RectifiedSpaAttn.Kernels.Attention;
using RectifiedSpaAttn.Numerics;
using RectifiedSpaAttn.Reference;
using RectifiedSpaAttn.Tensors;
using RectifiedSpaAttn.Tests.Accelerators;

namespace RectifiedSpaAttn.Tests.Kernels.Estimation;

/// <summary>
/// What the estimation-kernel tests share: backends and element types to run on, random shapes and inputs (never
/// zeros), poisoned outputs, and conversions between device arrays and the fp64 reference's tensors.
/// </summary>
internal static class EstimationSupport
{
    /// <summary>The byte every mask-like output is filled with before a launch, so unwritten entries show.</summary>
    public const byte PoisonByte = 0xCD;

    /// <summary>Every backend (CPU always; OpenCL required when CI=true; CUDA where present).</summary>
    public static TheoryData<AcceleratorKind> Kinds => TestAccelerators.AllKinds;

    /// <summary>Every backend with every element type of Q, K, V.</summary>
    public static TheoryData<AcceleratorKind, string> KindsAndTypes()
    {
        var data = new TheoryData<AcceleratorKind, string>();
        foreach (AcceleratorKind kind in new[] { AcceleratorKind.Cpu, AcceleratorKind.OpenCL, AcceleratorKind.Cuda })
            foreach (string type in new[] { "float", "half", "bfloat16" }) data.Add(kind, type);
        return data;
    }

    /// <summary>The shared accelerator, or null when the backend is absent here (or OpenCL cannot run the variant).</summary>
    public static Accelerator? Accelerator(AcceleratorKind kind, KernelVariant variant, ITestOutputHelper output) =>
        Compiler.CorpusSupport.Accelerator(kind, variant, output);

    /// <summary>A fresh seed, written to the test output so a failure can be replayed.</summary>
    public static Random NewRandom(ITestOutputHelper output, out int seed) => Compiler.CorpusSupport.NewRandom(output, out seed);

    /// <summary>
    /// A random small shape: B*H up to 4, D in 1..80 (sometimes odd), block sizes 1..40 (mostly not dividing S_vis),
    /// and either no text, or text slots of which a random number (possibly all, possibly none) are valid.
    /// </summary>
    public static AttentionShape RandomShape(Random rng, int maxVisual = 200)
    {
        int batch = rng.Next(1, 3), heads = rng.Next(1, 3);
        int dim = rng.Next(4) == 0 ? rng.Next(1, 12) : new[] { 16, 32, 48, 64, 80 }[rng.Next(5)];
        int queryBlock = rng.Next(3) == 0 ? rng.Next(1, 8) : rng.Next(8, 41);
        int keyBlock = rng.Next(3) == 0 ? queryBlock : rng.Next(4, 41);
        int visual = rng.Next(1, maxVisual + 1);
        int text = rng.Next(3) == 0 ? 0 : rng.Next(1, 24);
        int valid = text == 0 ? 0 : rng.Next(4) == 0 ? text : rng.Next(0, text + 1);
        return new AttentionShape(batch, heads, visual + text, dim, text, valid, queryBlock, keyBlock);
    }

    /// <summary>The reference's layout for <paramref name="shape"/>.</summary>
    public static BlockLayout LayoutOf(AttentionShape shape) =>
        new(shape.SequenceLength, shape.TextTokens, shape.ValidTextTokens, shape.QueryBlockSize, shape.KeyBlockSize);

    /// <summary>Uniform floats in [lo, hi), nudged away from zero so no input is exactly 0.</summary>
    public static float[] NonZero(Random rng, long count, float lo = -1f, float hi = 1f)
    {
        var values = new float[count];
        for (long i = 0; i < count; i++)
        {
            float v = lo + (hi - lo) * rng.NextSingle();
            values[i] = v == 0f ? 0.5f * hi : v;
        }
        return values;
    }

    /// <summary>
    /// Random <c>[B, H, S, D]</c> tokens with block structure: every run of <paramref name="blockSize"/> tokens shares an
    /// offset vector, so block means differ from block to block and pooled logits spread (plain noise would average out
    /// to near-uniform masses). Rounded to <typeparamref name="T"/>; the fp64 copy holds exactly the rounded values.
    /// </summary>
    public static (T[] Device, HostTensor<double> Reference) StructuredTokens<T>(Random rng, AttentionShape shape, int blockSize) where T : unmanaged
    {
        int heads = shape.HeadCount, seq = shape.SequenceLength, dim = shape.HeadDim;
        float[] values = NonZero(rng, shape.TokenElements);
        for (int h = 0; h < heads; h++)
            for (int start = 0; start < seq; start += blockSize)
            {
                float[] offset = NonZero(rng, dim, -1.5f, 1.5f);
                for (int t = start; t < Math.Min(start + blockSize, seq); t++)
                    for (int d = 0; d < dim; d++) values[((long)h * seq + t) * dim + d] += offset[d];
            }
        T[] device = Round<T>(values);
        var reference = new HostTensor<double>([.. device.Select(v => (double)Element.ToFloat(v))], shape.Batch, shape.Heads, seq, dim);
        return (device, reference);
    }

    /// <summary>Values rounded to the element type (nearest even), as the kernel sees them.</summary>
    public static T[] Round<T>(float[] values) where T : unmanaged => [.. values.Select(Element.FromFloat<T>)];

    /// <summary>A device buffer holding <paramref name="values"/>.</summary>
    public static DeviceBuffer<T> Upload<T>(Accelerator accelerator, T[] values) where T : unmanaged
    {
        DeviceBuffer<T> buffer = accelerator.Allocate<T>(Math.Max(1, values.Length));
        if (values.Length > 0) buffer.CopyFrom(values);
        return buffer;
    }

    /// <summary>A float buffer of <paramref name="count"/> NaNs, one element past the end included (to catch overruns).</summary>
    public static DeviceBuffer<float> PoisonedFloats(Accelerator accelerator, long count)
    {
        DeviceBuffer<float> buffer = accelerator.Allocate<float>(count + 1);
        buffer.Fill(float.NaN);
        return buffer;
    }

    /// <summary>A byte buffer of <paramref name="count"/> + 1 bytes of <see cref="PoisonByte"/>.</summary>
    public static DeviceBuffer<byte> PoisonedBytes(Accelerator accelerator, long count)
    {
        DeviceBuffer<byte> buffer = accelerator.Allocate<byte>(count + 1);
        buffer.Fill(PoisonByte);
        return buffer;
    }

    /// <summary>An int buffer of <paramref name="count"/> + 1 copies of 0xDEADBEEF.</summary>
    public static DeviceBuffer<int> PoisonedInts(Accelerator accelerator, long count)
    {
        DeviceBuffer<int> buffer = accelerator.Allocate<int>(count + 1);
        buffer.Fill(unchecked((int)0xDEADBEEF));
        return buffer;
    }

    /// <summary>The first <paramref name="count"/> elements of a poisoned buffer, after checking the guard element past them is untouched.</summary>
    public static float[] Read(DeviceBuffer<float> buffer, long count, string context)
    {
        float[] all = buffer.ToArray();
        Assert.True(float.IsNaN(all[count]), $"{context}: the element past the output was written ({all[count]})");
        return all[..(int)count];
    }

    /// <summary>The first <paramref name="count"/> bytes, after checking the guard byte past them is untouched and every byte is 0 or 1.</summary>
    public static byte[] ReadMask(DeviceBuffer<byte> buffer, long count, string context)
    {
        byte[] all = buffer.ToArray();
        Assert.True(all[count] == PoisonByte, $"{context}: the byte past the output was written ({all[count]})");
        for (int i = 0; i < count; i++)
            Assert.True(all[i] is 0 or 1, $"{context}: mask byte {i} is 0x{all[i]:X2}: unwritten (poison 0x{PoisonByte:X2}) or not a 0/1 flag");
        return all[..(int)count];
    }

    /// <summary>fp32 values as an fp64 tensor of the given shape.</summary>
    public static HostTensor<double> Tensor(float[] values, params int[] shape) => new([.. values.Select(v => (double)v)], shape);

    /// <summary>An fp64 tensor rounded to fp32 (what a kernel receives when fed the reference's statistics).</summary>
    public static float[] ToFloats(HostTensor<double> tensor) => [.. tensor.Span.ToArray().Select(v => (float)v)];

    /// <summary>0/1 bytes as a bool tensor.</summary>
    public static HostTensor<bool> Flags(byte[] bytes, params int[] shape) => new([.. bytes.Select(b => b != 0)], shape);

    /// <summary>
    /// Asserts ||actual - expected||_2 / ||expected||_2 &lt;= <paramref name="relativeL2"/> with every element finite, reporting
    /// the relative L2 and the largest absolute error with its index.
    /// </summary>
    public static void AssertClose(ReadOnlySpan<double> expected, float[] actual, double relativeL2, string context, ITestOutputHelper output) =>
        Compiler.CorpusSupport.AssertClose(expected, [.. actual.Select(v => (double)v)], relativeL2, context, output);
}
