using System.Globalization;
using RectifiedSpaAttn.Compute;
using RectifiedSpaAttn.Tensors;

namespace RectifiedSpaAttn.Cli.Commands;

/// <summary>
/// How long an attention call will take, estimated before it starts from the problem size and the speed of the chosen
/// device measured on a small dense problem of the same head dimension and element type. Dense attention costs
/// 4 B H S^2 D floating-point operations; block-sparse and rectified attention cost about the computed blocks' share.
/// </summary>
internal static class RunEstimate
{
    /// <summary>Problems of at most this many tokens are quick on every device: not worth measuring.</summary>
    public const int CalibrationTokens = 1024;

    /// <summary>Floating-point operations of dense attention on [B, H, S, D].</summary>
    public static double DenseOperations(long heads, long tokens, long headDim) => 4.0 * heads * tokens * tokens * headDim;

    /// <summary>The share of dense work a sparse method does: its computed blocks, plus the block estimation.</summary>
    public static double SparseShare(SelectionOptions selection, int keyBlocks)
    {
        int minBlocks = selection.TopK ?? (int)Math.Floor((1 - (selection.DropRate ?? 0.75)) * keyBlocks);
        return Math.Clamp((double)Math.Max(minBlocks, selection.FirstFrameBlocks) / Math.Max(keyBlocks, 1), 0, 1) + 0.1;
    }

    /// <summary>
    /// Seconds per dense operation on <paramref name="accelerator"/> (null: the fp64 reference), from the second of two
    /// dense calls on [1, 1, 1024, D] random inputs (the first pays for kernel compilation).
    /// </summary>
    public static double MeasureSecondsPerOperation(Accelerator? accelerator, ElementType type, int headDim)
    {
        var random = new Random(7);
        HostTensor Random() => RandomTensor(random, type, headDim);
        HostTensor q = Random(), k = Random(), v = Random();
        var setup = new AttentionSetup(new SelectionOptions(128, 0.75, null, 0.3, 0, 0, 0));
        AttentionExecution.Run(CliMethod.Dense, q, k, v, setup, accelerator);
        AttentionOutcome timed = AttentionExecution.Run(CliMethod.Dense, q, k, v, setup, accelerator);
        return Math.Max(timed.Elapsed.TotalSeconds, 1e-6) / DenseOperations(1, CalibrationTokens, headDim);
    }

    /// <summary>
    /// How long <c>rsa run</c> will compute: one call of <paramref name="method"/>, plus a dense call when
    /// <paramref name="withDense"/>; zero for problems of at most <see cref="CalibrationTokens"/> tokens.
    /// </summary>
    public static TimeSpan ForRun(HostTensor q, CliMethod method, SelectionOptions selection, Accelerator? accelerator, bool withDense)
    {
        if (q.Rank != 4 || q.Shape[2] <= CalibrationTokens) return TimeSpan.Zero;
        double dense = DenseOperations((long)q.Shape[0] * q.Shape[1], q.Shape[2], q.Shape[3]) * MeasureSecondsPerOperation(accelerator, q.ElementType, q.Shape[3]);
        double share = method == CliMethod.Dense ? 1 : SparseShare(selection, selection.KeyBlocks(q.Shape[2]));
        return TimeSpan.FromSeconds(dense * (share + (withDense ? 1 : 0)));
    }

    /// <summary>"about 40 seconds", "about 12 minutes", "about 2.5 hours".</summary>
    public static string Describe(TimeSpan time) => time.TotalSeconds switch
    {
        < 90 => string.Create(CultureInfo.InvariantCulture, $"about {Math.Max(1, Math.Round(time.TotalSeconds)):0} seconds"),
        < 5400 => string.Create(CultureInfo.InvariantCulture, $"about {Math.Round(time.TotalMinutes):0} minutes"),
        _ => string.Create(CultureInfo.InvariantCulture, $"about {time.TotalHours:0.0} hours"),
    };

    private static HostTensor RandomTensor(Random random, ElementType type, int headDim)
    {
        var values = new HostTensor<float>(1, 1, CalibrationTokens, headDim);
        foreach (ref float x in values.Span) x = (float)(random.NextDouble() * 2 - 1);
        return type switch
        {
            ElementType.Float16 => values.ConvertTo<Half>(),
            ElementType.BFloat16 => values.ConvertTo<Numerics.BFloat16>(),
            ElementType.Float64 => values.ToDouble(),
            _ => values,
        };
    }
}
