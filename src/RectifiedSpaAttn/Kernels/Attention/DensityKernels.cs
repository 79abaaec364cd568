using RectifiedSpaAttn.Compute;

namespace RectifiedSpaAttn.Kernels.Attention;

/// <summary>
/// The density of a block-sparse call, summed on the device so that a call need not wait for its per-row counts to
/// reach the host: the result downloads one number, and only when it is read.
/// </summary>
internal static partial class DensityKernels
{
    /// <summary>Threads of the one group.</summary>
    public const int GroupSize = 256;

    /// <summary>
    /// One group: <c>total[0]</c> = the sum of <c>counts[0..rows)</c> (the critical blocks of every row), in 64 bits.
    /// Each thread sums a strided slice, then a shared-memory tree adds the slices (rows are a few ten thousand at most).
    /// </summary>
    [Kernel]
    public static void SumCounts(ArrayView<int> counts, ArrayView<long> total, int rows)
    {
        ArrayView<long> partial = SharedMemory.Allocate<long>(GroupSize);
        int tid = Group.IdxX;
        long sum = 0;
        for (int i = tid; i < rows; i += Group.DimX) sum += counts[i];
        partial[tid] = sum;
        Group.Barrier();
        for (int half = Group.DimX / 2; half > 0; half >>= 1)
        {
            if (tid < half) partial[tid] += partial[tid + half];
            Group.Barrier();
        }
        if (tid == 0) total[0] = partial[0];
    }
}
