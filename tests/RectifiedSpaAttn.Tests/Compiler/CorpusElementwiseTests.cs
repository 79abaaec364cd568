using RectifiedSpaAttn.Compute;
using RectifiedSpaAttn.Kernels.Corpus;
using RectifiedSpaAttn.Numerics;
using static RectifiedSpaAttn.Tests.Compiler.CorpusSupport;

namespace RectifiedSpaAttn.Tests.Compiler;

/// <summary>The one-thread-per-element corpus kernels on every backend present, against host references.</summary>
public sealed class CorpusElementwiseTests(ITestOutputHelper output)
{
    [Theory]
    [MemberData(nameof(Kinds), MemberType = typeof(CorpusSupport))]
    public void SaxpyMatchesTheHostAndStopsAtTheLength(AcceleratorKind kind)
    {
        if (Accelerator(kind, ElementwiseKernels.SaxpyKernel.GetVariant(), output) is not { } acc) return;
        var rng = NewRandom(output, out int seed);
        int n = rng.Next(1, 5000);
        float a = rng.NextSingle() * 4 - 2;
        float[] x = Uniform(rng, n), y = Uniform(rng, n);
        using var xs = Upload(acc, x);
        // One slot past the view stays poisoned: the bounds check must hold.
        using DeviceBuffer<float> ys = Poisoned<float>(acc, n + 1);
        ys.CopyFrom(y, 0);
        ElementwiseKernels.SaxpyKernel.Launch(acc, new LaunchDimensions((n + 127) / 128, 128), xs.View, ys.SubView(0, n), a);

        float[] result = ys.ToArray();
        Assert.True(float.IsNaN(result[n]), $"seed {seed}: the element past the view was written");
        double[] expected = [.. Enumerable.Range(0, n).Select(i => (double)a * x[i] + y[i])];
        AssertClose(expected, [.. result[..n].Select(v => (double)v)], 1e-6, $"seed {seed}: saxpy n={n}", output);
    }

    public static TheoryData<AcceleratorKind, string> BackendsAndTypes() => PerKind(FloatTypes);

    [Theory]
    [MemberData(nameof(BackendsAndTypes))]
    public void ScaleRoundsOnceToTheElementType(AcceleratorKind kind, string type)
    {
        switch (type)
        {
            case "float": Scale<float>(kind); break;
            case "half": Scale<Half>(kind); break;
            default: Scale<BFloat16>(kind); break;
        }
    }

    private void Scale<T>(AcceleratorKind kind) where T : unmanaged
    {
        if (Accelerator(kind, ElementwiseKernels.ScaleKernel.GetVariant(typeof(T)), output) is not { } acc) return;
        var rng = NewRandom(output, out int seed);
        int n = rng.Next(1, 3000);
        float scale = rng.NextSingle() * 3 - 1.5f;
        T[] input = Round<T>(Uniform(rng, n, -100, 100));
        using var ins = Upload(acc, input);
        using DeviceBuffer<T> outs = Poisoned<T>(acc, n);
        ElementwiseKernels.ScaleKernel.Launch(acc, new LaunchDimensions((n + 63) / 64, 64), ins.View, outs.View, scale);

        // The kernel computes in float and rounds once: that is exactly reproducible on the host.
        T[] result = outs.ToArray();
        for (int i = 0; i < n; i++)
        {
            T expected = Element.FromFloat<T>(Element.ToFloat(input[i]) * scale);
            Assert.True(expected.Equals(result[i]), $"seed {seed}: {typeof(T).Name} element {i}: got {result[i]}, expected {expected} ({Element.ToFloat(input[i])} * {scale})");
        }
    }

    [Theory]
    [MemberData(nameof(Kinds), MemberType = typeof(CorpusSupport))]
    public void PackPairsRoundsToNearestEvenAndPutsTheFirstElementLow(AcceleratorKind kind)
    {
        if (Accelerator(kind, ElementwiseKernels.PackPairsKernel.GetVariant(), output) is not { } acc) return;
        var rng = NewRandom(output, out int seed);
        int pairs = rng.Next(1, 2000);
        // Wide range plus exact ties (bf16: low 16 bits 0x8000) to pin round-to-nearest-even.
        float[] input = Uniform(rng, 2 * pairs, -1e4f, 1e4f);
        for (int i = 0; i < input.Length; i += 7)
            input[i] = BitConverter.UInt32BitsToSingle((BitConverter.SingleToUInt32Bits(input[i]) & 0xFFFF0000u) | 0x8000u);
        using var ins = Upload(acc, input);
        using DeviceBuffer<uint> bf = Poisoned<uint>(acc, pairs), hf = Poisoned<uint>(acc, pairs);
        using DeviceBuffer<float> unpacked = Poisoned<float>(acc, 2 * pairs);
        ElementwiseKernels.PackPairsKernel.Launch(acc, new LaunchDimensions((pairs + 31) / 32, 32), ins.View, bf.View, hf.View, unpacked.View);

        uint[] bfs = bf.ToArray(), hfs = hf.ToArray();
        float[] un = unpacked.ToArray();
        for (int i = 0; i < pairs; i++)
        {
            BFloat16 lo = BFloat16.FromSingle(input[2 * i]), hi = BFloat16.FromSingle(input[2 * i + 1]);
            uint expectedBf = lo.RawBits | ((uint)hi.RawBits << 16);
            uint expectedHalf = BitConverter.HalfToUInt16Bits((Half)input[2 * i]) | ((uint)BitConverter.HalfToUInt16Bits((Half)input[2 * i + 1]) << 16);
            Assert.True(expectedBf == bfs[i], $"seed {seed}: bf16 pair {i} of ({input[2 * i]}, {input[2 * i + 1]}): got {bfs[i]:X8}, expected {expectedBf:X8}");
            Assert.True(expectedHalf == hfs[i], $"seed {seed}: fp16 pair {i} of ({input[2 * i]}, {input[2 * i + 1]}): got {hfs[i]:X8}, expected {expectedHalf:X8}");
            Assert.Equal(lo.ToSingle(), un[2 * i]);
            Assert.Equal(hi.ToSingle(), un[2 * i + 1]);
        }
    }

    [Theory]
    [MemberData(nameof(Kinds), MemberType = typeof(CorpusSupport))]
    public void VectorDoubleMovesSixteenBytesInLaneOrder(AcceleratorKind kind)
    {
        if (Accelerator(kind, ElementwiseKernels.VectorDoubleKernel.GetVariant(), output) is not { } acc) return;
        var rng = NewRandom(output, out int seed);
        int quads = rng.Next(1, 1000);
        float[] input = Uniform(rng, 4 * quads, -50, 50);
        using var ins = Upload(acc, input);
        using DeviceBuffer<float> outs = Poisoned<float>(acc, 4 * quads + 4);
        // The view stops one quad short of the buffer: that quad must stay poisoned.
        ElementwiseKernels.VectorDoubleKernel.Launch(acc, new LaunchDimensions(quads / 64 + 2, 64), ins.View, outs.SubView(0, 4 * quads));
        float[] result = outs.ToArray();
        for (int i = 0; i < 4 * quads; i++)
            Assert.True(2 * input[i] == result[i], $"seed {seed}: element {i}: got {result[i]}, expected {2 * input[i]}");
        for (int i = 4 * quads; i < result.Length; i++) Assert.True(float.IsNaN(result[i]), $"seed {seed}: element {i} past the view was written");
    }
}
