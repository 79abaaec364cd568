using System.Collections.Concurrent;

namespace RectifiedSpaAttn.Bench.Columns;

/// <summary>
/// The mask densities benchmark setups measured, by benchmark class and case. The throughput column asks a fresh
/// instance for its FLOPs, one that has run no setup, so a density known only after setup is kept here.
/// </summary>
public static class MeasuredDensity
{
    private static readonly ConcurrentDictionary<(Type Benchmark, string Case), double> s_values = new();

    /// <summary>Keeps <paramref name="density"/> for <paramref name="benchmark"/>'s case <paramref name="caseKey"/>.</summary>
    public static void Record(object benchmark, string caseKey, double density) => s_values[(benchmark.GetType(), caseKey)] = density;

    /// <summary>The recorded density, or NaN (shown as no figure) when the case's setup has not run.</summary>
    public static double Of(object benchmark, string caseKey) => s_values.GetValueOrDefault((benchmark.GetType(), caseKey), double.NaN);
}
