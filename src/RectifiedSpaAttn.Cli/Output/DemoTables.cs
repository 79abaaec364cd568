using System.Globalization;
using RectifiedSpaAttn.Cli.Commands;

namespace RectifiedSpaAttn.Cli.Output;

/// <summary>The demo's two tables, each followed by what its columns mean and which way is better.</summary>
internal static class DemoTables
{
    public static void WriteErrors(TextWriter output, double[] density, double overallDensity, HeadMetrics sparse, HeadMetrics rectified)
    {
        output.WriteLine("                     rel-L2 vs dense        cosine vs dense");
        output.WriteLine("  head   density     sparse     rectified   sparse     rectified");
        for (int i = 0; i < density.Length; i++)
            output.WriteLine(Row(i.ToString(CultureInfo.InvariantCulture), density[i], sparse.RelativeL2[i], rectified.RelativeL2[i], sparse.Cosine[i], rectified.Cosine[i]));
        output.WriteLine(Row("all", overallDensity, sparse.OverallRelativeL2, rectified.OverallRelativeL2, sparse.OverallCosine, rectified.OverallCosine));
        output.WriteLine();
        output.WriteLine("  density          share of key blocks computed exactly (the rest are skipped or, when rectified, estimated); lower is less work");
        output.WriteLine("  rel-L2 vs dense  ||output - dense|| / ||dense|| over the head's outputs; lower is better, 0 is exact");
        output.WriteLine("  cosine vs dense  cosine similarity of the head's outputs with dense attention; higher is better, 1 is exact");
    }

    /// <summary>The times table; <paramref name="headByHead"/> says the calls ran one head at a time (for live progress).</summary>
    public static void WriteTimes(TextWriter output, string device, IReadOnlyList<(string Method, TimedCalls<AttentionOutcome> Timing)> rows, bool headByHead = false)
    {
        TimedCalls<AttentionOutcome> first = rows[0].Timing;
        string how = first.WarmedUp
            ? $"median of {first.Calls} timed call{(first.Calls == 1 ? "" : "s")} after 1 untimed warm-up call (first-call kernel compilation excluded)"
            : "1 timed call, no warm-up (a call this long makes first-call compilation negligible)";
        output.WriteLine($"time on {device}: {how}; uploads excluded, the output's download included" +
            (headByHead ? "; heads computed one at a time to show progress (the sum of their times)" : ""));
        output.WriteLine("  method       median ms   speed-up vs dense");
        double denseMs = first.Median.TotalMilliseconds;
        foreach ((string method, TimedCalls<AttentionOutcome> timing) in rows)
        {
            double ms = timing.Median.TotalMilliseconds;
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {method,-10}   {ms,9:F1}   {(ms > 0 ? denseMs / ms : 0),8:F2}x"));
        }
        output.WriteLine();
        output.WriteLine("  median ms          wall-clock time of one call; lower is better");
        output.WriteLine("  speed-up vs dense  dense time / this method's time; higher is better, above 1 is faster than dense");
    }

    private static string Row(string head, double density, double sparseL2, double rectifiedL2, double sparseCos, double rectifiedCos) =>
        string.Create(CultureInfo.InvariantCulture,
            $"  {head,4}   {density:0.0000}      {MetricsTable.F(sparseL2)}   {MetricsTable.F(rectifiedL2)}    {MetricsTable.F(sparseCos)}   {MetricsTable.F(rectifiedCos)}");
}
