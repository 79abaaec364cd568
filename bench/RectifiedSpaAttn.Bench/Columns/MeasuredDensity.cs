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
    public static void Record(object benchmark, string caseKey, double density) => s_values[(BenchmarkClass(benchmark), caseKey)] = density;

    /// <summary>The recorded density, or NaN (shown as no figure) when the case's setup has not run.</summary>
    public static double Of(object benchmark, string caseKey) => s_values.GetValueOrDefault((BenchmarkClass(benchmark), caseKey), double.NaN);

    /// <summary>
    /// The benchmark class as this assembly declares it. In process, BenchmarkDotNet runs a type it emits that derives
    /// from the class, while the column asks an instance of the class itself: keyed by GetType() the two never met, and
    /// every GFLOP/s figure that needs a density came out NaN.
    /// </summary>
    private static Type BenchmarkClass(object benchmark)
    {
        Type type = benchmark.GetType();
        while (type.Assembly != typeof(MeasuredDensity).Assembly && type.BaseType is { } parent) type = parent;
        return type;
    }
}
