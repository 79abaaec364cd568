using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;

namespace RectifiedSpaAttn.Bench.Columns;

/// <summary>
/// GFLOP/s of each benchmark case, from its mean time and the FLOP count its class reports through
/// <see cref="IAttentionWorkload"/> (the class is instantiated with the case's parameters to ask).
/// </summary>
public sealed class ThroughputColumn : IColumn
{
    public string Id => nameof(ThroughputColumn);
    public string ColumnName => "GFLOP/s";
    public bool AlwaysShow => true;
    public ColumnCategory Category => ColumnCategory.Custom;
    public int PriorityInCategory => 0;
    public bool IsNumeric => true;
    public UnitType UnitType => UnitType.Dimensionless;
    public string Legend => "Attention FLOPs (4·B·H·S²·D, times density for sparse) per second, in billions";

    public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;
    public bool IsAvailable(Summary summary) => true;

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase) => GetValue(summary, benchmarkCase, SummaryStyle.Default);

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style)
    {
        double? flops = FlopsOf(benchmarkCase);
        var report = summary[benchmarkCase];
        double? meanNs = report?.ResultStatistics?.Mean;
        if (flops is null || meanNs is null or 0) return "-";
        return (flops.Value / meanNs.Value).ToString("F1", System.Globalization.CultureInfo.InvariantCulture);
    }

    private static double? FlopsOf(BenchmarkCase benchmarkCase)
    {
        Type type = benchmarkCase.Descriptor.Type;
        if (!typeof(IAttentionWorkload).IsAssignableFrom(type)) return null;
        object instance = Activator.CreateInstance(type)!;
        foreach (var parameter in benchmarkCase.Parameters.Items)
            type.GetProperty(parameter.Name)?.SetValue(instance, parameter.Value);
        return ((IAttentionWorkload)instance).Flops;
    }
}
