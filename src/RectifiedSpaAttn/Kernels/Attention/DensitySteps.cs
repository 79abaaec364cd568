using RectifiedSpaAttn.Compute;

namespace RectifiedSpaAttn.Kernels.Attention;

/// <summary>Host-side launcher of <see cref="DensityKernels"/>, with its argument checks.</summary>
internal static class DensitySteps
{
    /// <summary>Enqueues <c>total[0] = sum of counts[0..rows)</c> on <paramref name="launcher"/>.</summary>
    /// <param name="launcher">The accelerator or stream.</param>
    /// <param name="counts">Critical blocks per row (at least <paramref name="rows"/> elements).</param>
    /// <param name="rows">How many rows to add.</param>
    /// <param name="total">Receives the sum (one element).</param>
    public static void SumCounts(IKernelLauncher launcher, ArrayView<int> counts, long rows, ArrayView<long> total)
    {
        ArgumentNullException.ThrowIfNull(launcher);
        StepArguments.RequireElements(counts, rows, nameof(counts));
        StepArguments.RequireElements(total, 1, nameof(total));
        if (rows > int.MaxValue) throw new ArgumentOutOfRangeException(nameof(rows), rows, "The density kernel indexes rows with 32 bits.");
        DensityKernels.SumCountsKernel.Launch(launcher, new LaunchDimensions(1, DensityKernels.GroupSize), counts, total, (int)rows);
    }
}
