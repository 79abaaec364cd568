using RectifiedSpaAttn.Compute;

namespace MyApp;

// Kernels live in a static partial class: the kernel compiler adds a nested <Name>Kernel class per [Kernel] method,
// holding its PTX, OpenCL C and CPU forms and a typed Launch.
public static partial class MyKernels
{
    public const int GroupSize = 256;

    // Global memory: y[i] = a * x[i] + y[i], one thread per element.
    [Kernel]
    public static void Saxpy(ArrayView<float> x, ArrayView<float> y, float a, int n)
    {
        int i = Grid.GlobalIndexX;
        if (i < n) y[i] = a * x[i] + y[i];
    }

    // Shared memory and a group barrier: sums[g] = the sum of the GroupSize elements group g covers.
    [Kernel]
    public static void GroupSums(ArrayView<float> input, ArrayView<float> sums, int n)
    {
        ArrayView<float> scratch = SharedMemory.Allocate<float>(GroupSize);
        int tid = Group.IdxX;
        int i = Grid.GlobalIndexX;
        scratch[tid] = i < n ? input[i] : 0f;
        Group.Barrier();
        for (int half = GroupSize / 2; half > 0; half /= 2)
        {
            if (tid < half) scratch[tid] += scratch[tid + half];
            Group.Barrier();
        }
        if (tid == 0) sums[Grid.IdxX] = scratch[0];
    }

    // A warp collective: sums[w] = the sum of the 32 elements warp w covers. Every lane takes part in Warp.Sum,
    // also lanes past the end (with 0), since a collective needs the whole warp.
    [Kernel]
    public static void WarpSums(ArrayView<float> input, ArrayView<float> sums, int n)
    {
        int i = Grid.GlobalIndexX;
        float total = Warp.Sum(i < n ? input[i] : 0f);
        if (Warp.LaneIdx == 0) sums[i / Warp.Size] = total;
    }
}
