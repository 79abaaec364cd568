using RectifiedSpaAttn.Compute;

namespace RectifiedSpaAttn.Kernels.Attention.Estimation;

/// <summary>
/// Group-wide reductions through shared memory for the estimation kernels (inlined into them). Shared-memory trees with
/// <see cref="Group.Barrier"/> rather than warp collectives: OpenCL emulates those with local memory and barriers anyway,
/// and pocl's build time grows with each one. The group size must be a power of two up to <see cref="MaxGroupSize"/>;
/// every thread of the group must call them (they hold barriers).
/// </summary>
internal static class GroupReductions
{
    /// <summary>The largest group the scratch serves; the estimation launchers use <see cref="EstimationSteps.RowGroupSize"/>.</summary>
    public const int MaxGroupSize = 256;

    /// <summary>The sum of <paramref name="value"/> over the group, returned to every thread.</summary>
    /// <param name="scratch">Shared memory of at least <c>Group.DimX</c> floats, free for the call's duration.</param>
    /// <param name="value">This thread's contribution.</param>
    public static float Sum(ArrayView<float> scratch, float value)
    {
        int tid = Group.IdxX;
        scratch[tid] = value;
        Group.Barrier();
        for (int half = Group.DimX / 2; half > 0; half >>= 1)
        {
            if (tid < half) scratch[tid] += scratch[tid + half];
            Group.Barrier();
        }
        float total = scratch[0];
        // Every thread must have read the total before a later call overwrites the scratch.
        Group.Barrier();
        return total;
    }

    /// <summary>The maximum of <paramref name="value"/> over the group, returned to every thread.</summary>
    /// <param name="scratch">Shared memory of at least <c>Group.DimX</c> floats, free for the call's duration.</param>
    /// <param name="value">This thread's contribution.</param>
    public static float Max(ArrayView<float> scratch, float value)
    {
        int tid = Group.IdxX;
        scratch[tid] = value;
        Group.Barrier();
        for (int half = Group.DimX / 2; half > 0; half >>= 1)
        {
            if (tid < half) scratch[tid] = MathF.Max(scratch[tid], scratch[tid + half]);
            Group.Barrier();
        }
        float result = scratch[0];
        Group.Barrier();
        return result;
    }
}
