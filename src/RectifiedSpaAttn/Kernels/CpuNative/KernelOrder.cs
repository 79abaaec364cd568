using RectifiedSpaAttn.Kernels.Attention.Estimation;

namespace RectifiedSpaAttn.Kernels.CpuNative;

/// <summary>
/// The summation order of the per-row estimation kernels, reproduced on the host. Those kernels give column c of a row to
/// thread <c>c % G</c> (G = <see cref="EstimationSteps.RowGroupSize"/>), which sums its columns in increasing order, and
/// then fold the G partial sums by a halving tree (<see cref="GroupReductions.Sum"/>). fp32 addition is not associative,
/// so the host sums the same way: that makes its masses, R and selections bit-identical to the emulated kernels', and
/// the CPU accelerator gives the same answer whichever route it takes. The cost is G floats and G - 1 adds per row.
/// </summary>
internal static unsafe class KernelOrder
{
    /// <summary>Threads per row group of the kernels being reproduced.</summary>
    public const int Group = EstimationSteps.RowGroupSize;

    /// <summary>Folds <see cref="Group"/> per-thread partial sums as the kernels' tree does (destroys them).</summary>
    public static float TreeSum(float* partials)
    {
        for (int half = Group / 2; half > 0; half >>= 1)
            for (int t = 0; t < half; t++) partials[t] += partials[t + half];
        return partials[0];
    }
}
