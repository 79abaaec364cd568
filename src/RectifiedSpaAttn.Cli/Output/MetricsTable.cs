using System.Globalization;

namespace RectifiedSpaAttn.Cli.Output;

/// <summary>Prints error metrics as aligned plain-text tables.</summary>
internal static class MetricsTable
{
    public static void WriteAgainst(TextWriter output, string baseline, HeadMetrics metrics)
    {
        output.WriteLine($"against {baseline}:");
        output.WriteLine("  head   rel-L2     cosine");
        for (int i = 0; i < metrics.RelativeL2.Length; i++)
            output.WriteLine($"  {i,4}   {F(metrics.RelativeL2[i])}   {F(metrics.Cosine[i])}");
        output.WriteLine($"  all    {F(metrics.OverallRelativeL2)}   {F(metrics.OverallCosine)}");
    }

    public static string F(double value) => value.ToString("0.000000", CultureInfo.InvariantCulture);
}
