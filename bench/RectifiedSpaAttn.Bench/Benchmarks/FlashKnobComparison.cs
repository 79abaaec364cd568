namespace RectifiedSpaAttn.Bench.Benchmarks;

/// <summary>
/// Times several <see cref="TensorCoreFlashBenchmarks"/> configs of one method against each other, interleaved: round
/// after round, each config runs its calls, the order rotating by one per round. Back-to-back runs of one config and
/// then the next let the GPU's clocks and temperature drift between them (knob ratios flipped sign between device calls
/// this way); interleaved rounds spread that drift over every config, and the medians over rounds compare.
/// </summary>
public static class FlashKnobComparison
{
    /// <summary>
    /// Runs <paramref name="rounds"/> rounds of <paramref name="calls"/> calls per config and writes each config's median
    /// ms per call over the rounds, its TFLOP/s, the range over rounds and its ratio to the first config.
    /// </summary>
    public static void Run(TextWriter output, IReadOnlyList<string> configs, string method, int calls, int rounds)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(configs.Count, 1, nameof(configs));
        ArgumentOutOfRangeException.ThrowIfLessThan(calls, 1, nameof(calls));
        ArgumentOutOfRangeException.ThrowIfLessThan(rounds, 1, nameof(rounds));
        var workloads = new List<TensorCoreFlashBenchmarks>();
        try
        {
            foreach (string config in configs)
            {
                var workload = new TensorCoreFlashBenchmarks { Config = config, Method = method };
                workloads.Add(workload);
                workload.Setup();
                workload.Attention();
            }
            var perCall = new double[configs.Count][];
            for (int c = 0; c < configs.Count; c++) perCall[c] = new double[rounds];
            for (int r = 0; r < rounds; r++)
            {
                for (int i = 0; i < configs.Count; i++)
                {
                    int c = (i + r) % configs.Count;
                    var clock = System.Diagnostics.Stopwatch.StartNew();
                    for (int n = 0; n < calls; n++) workloads[c].Attention();
                    perCall[c][r] = clock.Elapsed.TotalMilliseconds / calls;
                }
            }
            double first = Median(perCall[0]);
            output.WriteLine($"// {method}: {rounds} interleaved rounds of {calls} calls per config; median ms per call over rounds");
            for (int c = 0; c < configs.Count; c++)
            {
                double ms = Median(perCall[c]);
                output.WriteLine($"// {configs[c],-40} {ms,8:F3} ms  {workloads[c].Flops / ms / 1e9,7:F1} TFLOP/s  " +
                    $"rounds {perCall[c].Min():F3}-{perCall[c].Max():F3}  x{first / ms:F3} vs first");
            }
        }
        finally
        {
            foreach (TensorCoreFlashBenchmarks workload in workloads) workload.Dispose();
        }
    }

    private static double Median(double[] values)
    {
        double[] sorted = [.. values.Order()];
        int mid = sorted.Length / 2;
        return sorted.Length % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
    }
}
