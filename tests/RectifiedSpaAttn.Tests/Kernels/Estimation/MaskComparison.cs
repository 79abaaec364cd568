using RectifiedSpaAttn.Reference;

namespace RectifiedSpaAttn.Tests.Kernels.Estimation;

/// <summary>
/// The one place that says when a kernel's fp32 mask may differ from the fp64 reference's, and by how much. Both sides
/// always get the same inputs (fp32 values, widened exactly for the reference); the only freedom is fp32 rounding in the
/// kernel's sums. Anything these rules do not explain fails.
/// </summary>
internal static class MaskComparison
{
    private const double Unit = 1.0 / (1 << 24);

    /// <summary>
    /// Selection (step 5). Ranks compare the same fp32 masses on both sides, so they agree exactly (ties included).
    /// Only "prefix sum &lt;= tau" can differ: the kernel sums the sorted row's prefixes in fp32 (in per-thread chunks), and
    /// any fp32 summation of n non-negative terms errs by at most (n - 1) u times their sum. So each sorted position r is certainly within tau when
    /// its fp64 prefix P_r + n u P_r &lt;= tau, certainly outside when P_r - n u P_r &gt; tau, and undecided otherwise; the
    /// kernel's count of prefixes within tau lies in [certain, certain + undecided]. The kernel's row must equal the
    /// prefix-sum rule's selection for one count in that window, OR-ed with <paramref name="forced"/> (neighbours and
    /// first-frame blocks). Returns null when it does, else a message describing the mismatch.
    /// </summary>
    /// <param name="kernelRow">The kernel's critical flags for the row's nK blocks.</param>
    /// <param name="masses">The row's block masses (the values the kernel read).</param>
    /// <param name="textMass">The text entry's mass, or null when the row has none.</param>
    /// <param name="tau">The threshold the kernel got (as a double).</param>
    /// <param name="minCritical"><c>k_min</c>.</param>
    /// <param name="forced">Blocks critical regardless of mass.</param>
    public static string? SelectionRowMismatch(ReadOnlySpan<bool> kernelRow, double[] masses, double? textMass, double tau, int minCritical, ReadOnlySpan<bool> forced)
    {
        int nK = masses.Length, length = nK + (textMass is null ? 0 : 1);
        double[] mass = [.. masses, .. textMass is double t ? new[] { t } : []];
        int[] order = [.. Enumerable.Range(0, length)];
        Array.Sort(order, (x, y) => mass[x] != mass[y] ? mass[y].CompareTo(mass[x]) : x.CompareTo(y));

        int certain = 0, undecided = 0;
        double prefix = 0;
        foreach (int e in order)
        {
            prefix += mass[e];
            double slack = length * Unit * prefix;
            if (prefix + slack <= tau) certain++;
            else if (prefix - slack <= tau) undecided++;
        }
        for (int within = certain; within <= certain + undecided; within++)
        {
            int c = tau >= 1 ? length : Math.Min(Math.Max(within + 1, minCritical), length);
            var expected = new bool[nK];
            for (int r = 0; r < c; r++)
                if (order[r] < nK) expected[order[r]] = true;
            bool same = true;
            for (int j = 0; j < nK && same; j++) same = kernelRow[j] == (expected[j] || forced[j]);
            if (same) return null;
        }
        return $"no count of prefix sums within tau in [{certain}, {certain + undecided}] gives the kernel's row "
               + $"[{string.Join("", kernelRow.ToArray().Select(b => b ? '1' : '0'))}]; masses [{string.Join(", ", mass.Select(m => m.ToString("G6")))}], "
               + $"tau {tau}, k_min {minCritical}, forced [{string.Join("", forced.ToArray().Select(b => b ? '1' : '0'))}]";
    }

    /// <summary>
    /// Selection on masses the kernels computed themselves (pooling and IPAR in fp32): near-equal fp64 masses may swap
    /// ranks. The rule: every fp32 mass must be within <paramref name="relativeTolerance"/> of its fp64 value (so any swap
    /// is between entries whose fp64 masses differ by at most about twice that), and the kernel's row must follow the
    /// prefix-sum rule on its own fp32 masses (<see cref="SelectionRowMismatch"/>). Returns null when both hold.
    /// </summary>
    /// <param name="kernelRow">The kernel's critical flags for the row's nK blocks.</param>
    /// <param name="kernelMasses">The kernel's block masses for the row.</param>
    /// <param name="kernelText">The kernel's text mass, or null when the row has no text entry.</param>
    /// <param name="referenceMasses">The fp64 block masses.</param>
    /// <param name="referenceText">The fp64 text mass (null exactly when <paramref name="kernelText"/> is).</param>
    /// <param name="relativeTolerance">The largest relative error allowed on one mass.</param>
    /// <param name="tau">The threshold.</param>
    /// <param name="minCritical"><c>k_min</c>.</param>
    /// <param name="forced">Blocks critical regardless of mass.</param>
    public static string? ComputedMassRowMismatch(ReadOnlySpan<bool> kernelRow, double[] kernelMasses, double? kernelText, double[] referenceMasses,
        double? referenceText, double relativeTolerance, double tau, int minCritical, ReadOnlySpan<bool> forced)
    {
        double[] got = [.. kernelMasses, .. kernelText is double kt ? new[] { kt } : []];
        double[] want = [.. referenceMasses, .. referenceText is double rt ? new[] { rt } : []];
        for (int e = 0; e < want.Length; e++)
            if (Math.Abs(got[e] - want[e]) > relativeTolerance * want[e] + 1e-30)
                return $"mass entry {e} is {got[e]:G9}, fp64 {want[e]:G9}: off by more than {relativeTolerance:E1} relative, so a rank swap there is not a near-tie";
        return SelectionRowMismatch(kernelRow, kernelMasses, kernelText, tau, minCritical, forced);
    }

    /// <summary>
    /// GAPR (step 6): compensable iff |qbar.kbar| &gt; |dq.kbar| + |qbar.dk|. Each fp32 dot product of length D errs by at
    /// most D u times the sum of its terms' magnitudes, so when the fp64 margin (gain minus error) is within twice the sum of
    /// those bounds, either verdict is accepted; beyond it the kernel must agree with the fp64 verdict.
    /// </summary>
    /// <returns>True when the kernel's verdict must equal the fp64 one (the margin is outside the rounding window).</returns>
    public static bool CompensableIsDecided(ReadOnlySpan<double> qbar, ReadOnlySpan<double> dq, ReadOnlySpan<double> kbar, ReadOnlySpan<double> dk, out bool expected)
    {
        double gain = 0, queryError = 0, keyError = 0, magnitude = 0;
        for (int d = 0; d < qbar.Length; d++)
        {
            gain += qbar[d] * kbar[d];
            queryError += dq[d] * kbar[d];
            keyError += qbar[d] * dk[d];
            magnitude += Math.Abs(qbar[d] * kbar[d]) + Math.Abs(dq[d] * kbar[d]) + Math.Abs(qbar[d] * dk[d]);
        }
        double margin = Math.Abs(gain) - (Math.Abs(queryError) + Math.Abs(keyError));
        expected = margin > 0;
        return Math.Abs(margin) > 2 * (qbar.Length + 2) * Unit * magnitude;
    }

    /// <summary>A row of flags as a 0/1 string, for failure messages.</summary>
    public static string Describe(ReadOnlySpan<bool> row) => string.Concat(row.ToArray().Select(b => b ? '1' : '0'));
}
