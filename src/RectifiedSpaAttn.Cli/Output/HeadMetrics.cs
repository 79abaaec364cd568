using RectifiedSpaAttn.Metrics;
using RectifiedSpaAttn.Tensors;

namespace RectifiedSpaAttn.Cli.Output;

/// <summary>Relative L2 error and cosine similarity of one output against a baseline, per (b, h) head and overall.</summary>
internal sealed record HeadMetrics(double[] RelativeL2, double[] Cosine, double OverallRelativeL2, double OverallCosine)
{
    public static HeadMetrics Compare(HostTensor<double> actual, HostTensor<double> expected)
    {
        if (!actual.Shape.SequenceEqual(expected.Shape))
            throw new ArgumentException($"Cannot compare {actual.ShapeText} with {expected.ShapeText}.");
        int heads = actual.Shape[0] * actual.Shape[1];
        var rel = new double[heads];
        var cos = new double[heads];
        for (int b = 0, i = 0; b < actual.Shape[0]; b++)
            for (int h = 0; h < actual.Shape[1]; h++, i++)
            {
                rel[i] = ErrorMetrics.RelativeL2(actual.Row(b, h), expected.Row(b, h));
                cos[i] = ErrorMetrics.CosineSimilarity(actual.Row(b, h), expected.Row(b, h));
            }
        return new HeadMetrics(rel, cos, ErrorMetrics.RelativeL2(actual.Span, expected.Span), ErrorMetrics.CosineSimilarity(actual.Span, expected.Span));
    }
}
