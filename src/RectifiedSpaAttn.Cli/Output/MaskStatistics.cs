using RectifiedSpaAttn.Tensors;

namespace RectifiedSpaAttn.Cli.Output;

/// <summary>Per-head counts over block masks <c>[B, H, nQ, nK]</c>, heads numbered b * H + h.</summary>
internal static class MaskStatistics
{
    /// <summary>The share of critical (true) entries of each head.</summary>
    public static double[] PerHeadDensity(HostTensor<bool> mask)
    {
        int heads = mask.Shape[0] * mask.Shape[1];
        int perHead = mask.Shape[2] * mask.Shape[3];
        var density = new double[heads];
        for (int i = 0; i < heads; i++)
            density[i] = perHead == 0 ? 0 : (double)mask.Span.Slice(i * perHead, perHead).Count(true) / perHead;
        return density;
    }

    /// <summary>How many entries of each head differ between two masks of one shape.</summary>
    public static int[] PerHeadDifferences(HostTensor<bool> first, HostTensor<bool> second)
    {
        if (!first.Shape.SequenceEqual(second.Shape))
            throw new ArgumentException($"Cannot compare masks of shapes {first.ShapeText} and {second.ShapeText}.");
        int heads = first.Shape[0] * first.Shape[1];
        int perHead = first.Shape[2] * first.Shape[3];
        var differences = new int[heads];
        ReadOnlySpan<bool> a = first.Span, b = second.Span;
        for (int i = 0; i < heads; i++)
            for (int e = i * perHead; e < (i + 1) * perHead; e++)
                if (a[e] != b[e]) differences[i]++;
        return differences;
    }
}
