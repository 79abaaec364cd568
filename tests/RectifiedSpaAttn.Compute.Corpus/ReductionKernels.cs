using RectifiedSpaAttn.Compute;

namespace RectifiedSpaAttn.Kernels.Corpus;

/// <summary>
/// Corpus: the sum of a large array through shared memory. Each thread accumulates a grid-stride slice, the group
/// folds its values in a shared-memory tree (a barrier per level, inside a loop whose trip count depends on the group
/// size), and thread 0 publishes the group's partial sum. Group sizes are powers of two up to 1024.
/// </summary>
internal static partial class ReductionKernels
{
    /// <summary>The largest group the shared scratch serves.</summary>
    public const int MaxGroupSize = 1024;

    /// <summary>partials[g] = sum of the elements group g visits (deterministic: no atomics).</summary>
    [Kernel]
    public static void GroupPartialSums(ArrayView<float> input, ArrayView<float> partials, int n)
    {
        float total = GroupSum(input, n);
        if (Group.IdxX == 0) partials[Grid.IdxX] = total;
    }

    /// <summary>total[0] += the sum of every element, one float atomic per group.</summary>
    [Kernel]
    public static void SumAtomic(ArrayView<float> input, ArrayView<float> total, int n)
    {
        float groupTotal = GroupSum(input, n);
        if (Group.IdxX == 0) Atomic.Add(ref total[0], groupTotal);
    }

    /// <summary>
    /// The sum over the group of each thread's grid-stride slice of <paramref name="input"/>; valid in thread 0.
    /// Every thread must call it (it holds barriers).
    /// </summary>
    private static float GroupSum(ArrayView<float> input, int n)
    {
        ArrayView<float> scratch = SharedMemory.Allocate<float>(MaxGroupSize);
        int tid = Group.IdxX;
        int stride = Grid.DimX * Group.DimX;
        float sum = 0f;
        for (int i = Grid.GlobalIndexX; i < n; i += stride) sum += input[i];
        scratch[tid] = sum;
        Group.Barrier();
        for (int half = Group.DimX / 2; half > 0; half >>= 1)
        {
            if (tid < half) scratch[tid] += scratch[tid + half];
            Group.Barrier();
        }
        return scratch[0];
    }
}
