using RectifiedSpaAttn.Compute;
using RectifiedSpaAttn.Kernels.Attention;
using RectifiedSpaAttn.Reference;
using RectifiedSpaAttn.Tensors;
using static RectifiedSpaAttn.Tests.Compiler.CorpusSupport;

namespace RectifiedSpaAttn.Tests.Kernels.Flash;

/// <summary>
/// Random attention inputs for the flash kernels: Q, K, V rounded to the element type once, so the kernel and the fp64
/// reference see the same values; and the comparison of selected output rows against the reference, with every other
/// row required to be still NaN (untouched). 16-bit outputs must also come within 1e-4 of the error that rounding the
/// fp64 reference to the element type causes by itself.
/// </summary>
internal sealed class FlashTestData<T> where T : unmanaged
{
    private FlashTestData(AttentionShape shape, BlockLayout layout, T[] q, T[] k, T[] v)
    {
        Shape = shape;
        Layout = layout;
        Q = q;
        K = k;
        V = v;
        int[] dims = [shape.Batch, shape.Heads, shape.SequenceLength, shape.HeadDim];
        ExactQ = new HostTensor<double>(ToDoubles(q), dims);
        ExactK = new HostTensor<double>(ToDoubles(k), dims);
        ExactV = new HostTensor<double>(ToDoubles(v), dims);
    }

    public AttentionShape Shape { get; }
    public BlockLayout Layout { get; }
    public T[] Q { get; }
    public T[] K { get; }
    public T[] V { get; }
    public HostTensor<double> ExactQ { get; }
    public HostTensor<double> ExactK { get; }
    public HostTensor<double> ExactV { get; }

    /// <summary>
    /// Fresh random inputs. Queries are drawn wider than keys so the softmax is far from uniform and the running maximum
    /// matters; nothing is zero.
    /// </summary>
    public static FlashTestData<T> Random(Random rng, int batch, int heads, int visualTokens, int textTokens, int validText,
        int headDim, int queryBlockSize, int keyBlockSize)
    {
        var layout = new BlockLayout(visualTokens + textTokens, textTokens, validText, queryBlockSize, keyBlockSize);
        var shape = AttentionShape.For(batch, heads, headDim, layout);
        int count = checked((int)shape.TokenElements);
        return new FlashTestData<T>(shape, layout, Round<T>(Uniform(rng, count, -4f, 4f)), Round<T>(Uniform(rng, count)),
            Round<T>(Uniform(rng, count)));
    }

    /// <summary>
    /// Asserts that token rows <paramref name="checkedRows"/> of <paramref name="actual"/> match <paramref name="expected"/>
    /// within <paramref name="relativeL2"/> and that every other row is still NaN. Also reports how far the reference itself
    /// moves when rounded to <typeparamref name="T"/>: the floor any 16-bit output can reach.
    /// </summary>
    public void AssertRows(HostTensor<double> expected, T[] actual, Func<int, bool> checkedRows, double relativeL2, string context,
        ITestOutputHelper output)
    {
        int seq = Shape.SequenceLength, dim = Shape.HeadDim;
        var want = new List<double>();
        var got = new List<double>();
        var rounded = new List<double>();
        for (int bh = 0; bh < Shape.HeadCount; bh++)
            for (int t = 0; t < seq; t++)
            {
                long rowBase = ((long)bh * seq + t) * dim;
                for (int d = 0; d < dim; d++)
                {
                    double value = Element.ToFloat(actual[rowBase + d]);
                    if (checkedRows(t))
                    {
                        want.Add(expected.Span[(int)(rowBase + d)]);
                        got.Add(value);
                        rounded.Add(Element.ToFloat(Element.FromFloat<T>((float)expected.Span[(int)(rowBase + d)])));
                    }
                    else Assert.True(double.IsNaN(value), $"{context}: head {bh} token {t} dim {d} was written ({value}) but is outside the rows the step owns");
                }
            }
        double floor = RelativeL2(want, rounded);
        output.WriteLine($"{context}: rounding the reference to {typeof(T).Name} alone gives relative L2 {floor:E3}");
        AssertClose([.. want], [.. got], relativeL2, context, output);
        // The fp32 result is good to about 1e-7, so a 16-bit output should be off by little more than its own rounding.
        double rel = RelativeL2(want, got);
        Assert.True(rel <= floor + 1e-4,
            $"{context}: relative L2 {rel:E3} exceeds the output rounding alone ({floor:E3}) by more than 1e-4: the fp32 result is off before rounding");
    }

    /// <summary>The limit the tests assert: 1e-5 for fp32 inputs, 1e-2 for 16-bit inputs (output rounding dominates).</summary>
    public static double Tolerance => typeof(T) == typeof(float) ? 1e-5 : 1e-2;

    private static double RelativeL2(List<double> expected, List<double> actual)
    {
        double diff = 0, norm = 0;
        for (int i = 0; i < expected.Count; i++)
        {
            diff += (actual[i] - expected[i]) * (actual[i] - expected[i]);
            norm += expected[i] * expected[i];
        }
        return norm == 0 ? Math.Sqrt(diff) : Math.Sqrt(diff / norm);
    }
}
