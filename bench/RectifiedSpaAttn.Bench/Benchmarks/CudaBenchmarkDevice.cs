using RectifiedSpaAttn.Compute;

namespace RectifiedSpaAttn.Bench.Benchmarks;

/// <summary>The first CUDA device of a context, for the benchmarks that time CUDA kernels alone.</summary>
internal static class CudaBenchmarkDevice
{
    /// <summary>Opens the context's first CUDA device; throws naming <paramref name="benchmark"/> where there is none.</summary>
    public static Accelerator Open(Context context, string benchmark)
    {
        AcceleratorInfo device = context.Devices.FirstOrDefault(d => d.Kind == AcceleratorKind.Cuda)
            ?? throw new InvalidOperationException($"{benchmark} needs a CUDA device; run it on the GPU machine.");
        return context.CreateAccelerator(device);
    }
}
