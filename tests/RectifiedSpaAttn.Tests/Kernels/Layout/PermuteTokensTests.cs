using RectifiedSpaAttn.Compute;
using RectifiedSpaAttn.Kernels.Attention;
using RectifiedSpaAttn.Kernels.Layout;
using RectifiedSpaAttn.Numerics;
using RectifiedSpaAttn.Video;
using static RectifiedSpaAttn.Tests.Compiler.CorpusSupport;

namespace RectifiedSpaAttn.Tests.Kernels.Layout;

/// <summary>
/// LayoutSteps.PermuteTokens with the Gilbert-curve order of a video grid: the gather equals a host gather and
/// VideoLayout.Permute, the inverse scatter equals VideoLayout.Unpermute, and scattering the gathered tensor gives the input
/// back bit for bit. Text tokens after the visual ones are copied unchanged.
/// </summary>
public sealed class PermuteTokensTests(ITestOutputHelper output)
{
    public static TheoryData<AcceleratorKind, string> Cases()
    {
        var data = new TheoryData<AcceleratorKind, string>();
        foreach (AcceleratorKind kind in new[] { AcceleratorKind.Cpu, AcceleratorKind.OpenCL, AcceleratorKind.Cuda })
            foreach (string type in new[] { "float", "half", "bfloat16" }) data.Add(kind, type);
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void GilbertPermutationRoundTrips(AcceleratorKind kind, string type)
    {
        switch (type)
        {
            case "float": Run<float>(kind); break;
            case "half": Run<Half>(kind); break;
            default: Run<BFloat16>(kind); break;
        }
    }

    private void Run<T>(AcceleratorKind kind) where T : unmanaged
    {
        if (Accelerator(kind, LayoutKernels.PermuteTokensKernel.GetVariant(typeof(T)), output) is not { } acc) return;
        var rng = NewRandom(output, out int seed);
        // A grid whose sides are not powers of two, with an axis order drawn at random, and 7 text slots after it.
        var grid = new VideoGrid(rng.Next(2, 5), rng.Next(3, 8), rng.Next(3, 9));
        var layout = new VideoLayout(grid, AxisOrder.All[rng.Next(AxisOrder.All.Count)]);
        const int text = 7, headDim = 40;
        int seq = grid.TokenCount + text;
        var shape = new AttentionShape(2, 1, seq, headDim, text, text, 64, 64);
        T[] input = Round<T>(Uniform(rng, (int)shape.TokenElements));
        int[] order = layout.TokensAlongCurve.ToArray();
        string context = $"seed {seed}: {typeof(T).Name}, grid {grid}, order {layout.Order}";

        using var source = Upload(acc, input);
        using var orderBuffer = Upload(acc, order);
        using DeviceBuffer<T> curve = Poisoned<T>(acc, input.Length);
        using DeviceBuffer<T> back = Poisoned<T>(acc, input.Length);
        LayoutSteps.PermuteTokens(acc, shape, source.View, orderBuffer.View, inverse: false, curve.View);
        LayoutSteps.PermuteTokens(acc, shape, curve.View, orderBuffer.View, inverse: true, back.View);
        T[] gathered = curve.ToArray(), restored = back.ToArray();

        T[] expectedGather = HostGather(input, order, seq, headDim);
        var viaLayout = new T[input.Length];
        var unpermuted = new T[input.Length];
        int head = seq * headDim;
        for (int bh = 0; bh < shape.HeadCount; bh++)
        {
            layout.Permute<T>(input.AsSpan(bh * head, head), viaLayout.AsSpan(bh * head, head), headDim);
            layout.Unpermute<T>(gathered.AsSpan(bh * head, head), unpermuted.AsSpan(bh * head, head), headDim);
        }
        AssertBitsEqual(expectedGather, gathered, seq, headDim, $"{context}: gather vs host gather");
        AssertBitsEqual(viaLayout, gathered, seq, headDim, $"{context}: gather vs VideoLayout.Permute");
        AssertBitsEqual(unpermuted, restored, seq, headDim, $"{context}: scatter vs VideoLayout.Unpermute");
        AssertBitsEqual(input, restored, seq, headDim, $"{context}: round trip");
    }

    /// <summary>destination[t] = source[order[t]] per head for t &lt; order.Length; later tokens copied.</summary>
    private static T[] HostGather<T>(T[] source, int[] order, int seq, int headDim) where T : unmanaged
    {
        var destination = new T[source.Length];
        for (int bh = 0; bh < source.Length / (seq * headDim); bh++)
            for (int t = 0; t < seq; t++)
            {
                int from = t < order.Length ? order[t] : t;
                Array.Copy(source, ((long)bh * seq + from) * headDim, destination, ((long)bh * seq + t) * headDim, headDim);
            }
        return destination;
    }

    /// <summary>Exact equality (a copy must not change a bit; NaN poison left in place shows as a mismatch).</summary>
    private void AssertBitsEqual<T>(T[] expected, T[] actual, int seq, int headDim, string context) where T : unmanaged
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            if (!EqualityComparer<T>.Default.Equals(expected[i], actual[i]))
                Assert.Fail($"{context}: element {i} (token {i / headDim % seq}) is {actual[i]}, expected {expected[i]}");
        output.WriteLine($"{context}: all {expected.Length} elements equal");
    }
}
