using RectifiedSpaAttn.Tensors;

namespace RectifiedSpaAttn.Tests.Reference;

/// <summary>Small conversions between host tensors and the jagged per-head arrays the brute-force oracle uses.</summary>
internal static class HeadData
{
    /// <summary>Head (b, h) of a <c>[B, H, S, D]</c> tensor as <c>[S][D]</c>.</summary>
    public static double[][] Head(HostTensor<double> x, int b, int h) =>
        Enumerable.Range(0, x.Shape[2]).Select(s => x.Row(b, h, s).ToArray()).ToArray();

    /// <summary>Slice (b, h) of a <c>[B, H, R, C]</c> bool tensor as a 2-D array.</summary>
    public static bool[,] Matrix(HostTensor<bool> x, int b, int h)
    {
        var m = new bool[x.Shape[2], x.Shape[3]];
        for (int i = 0; i < x.Shape[2]; i++)
            for (int j = 0; j < x.Shape[3]; j++) m[i, j] = x[b, h, i, j];
        return m;
    }

    /// <summary>A <c>[R, C]</c> bool tensor as a 2-D array.</summary>
    public static bool[,] Matrix(HostTensor<bool> x)
    {
        var m = new bool[x.Shape[0], x.Shape[1]];
        for (int i = 0; i < x.Shape[0]; i++)
            for (int j = 0; j < x.Shape[1]; j++) m[i, j] = x[i, j];
        return m;
    }

    /// <summary>The largest |a - e| over two equally long sequences.</summary>
    public static double MaxDiff(IEnumerable<double> actual, IEnumerable<double> expected) =>
        actual.Zip(expected, (a, e) => Math.Abs(a - e)).DefaultIfEmpty(0).Max();

    /// <summary>A tensor with heads (axis 1) reordered: result head h is input head <paramref name="order"/>[h].</summary>
    public static HostTensor<T> PermuteAxis<T>(HostTensor<T> x, int axis, int[] order) where T : unmanaged
    {
        var result = new HostTensor<T>(x.Shape);
        int outer = 1, inner = 1;
        for (int d = 0; d < axis; d++) outer *= x.Shape[d];
        for (int d = axis + 1; d < x.Rank; d++) inner *= x.Shape[d];
        int extent = x.Shape[axis];
        for (int o = 0; o < outer; o++)
            for (int a = 0; a < extent; a++)
                x.Span.Slice((o * extent + order[a]) * inner, inner).CopyTo(result.Span.Slice((o * extent + a) * inner, inner));
        return result;
    }

    /// <summary>A tensor of uniform values in [-1, 1).</summary>
    public static HostTensor<double> RandomTensor(Random random, params int[] shape)
    {
        var t = new HostTensor<double>(shape);
        foreach (ref double x in t.Span) x = 2 * random.NextDouble() - 1;
        return t;
    }
}
