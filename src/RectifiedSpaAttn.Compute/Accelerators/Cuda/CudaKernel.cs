namespace RectifiedSpaAttn.Compute.Cuda;

/// <summary>A variant's PTX loaded into one CUDA context: its module, entry point and per-function limits.</summary>
internal sealed class CudaKernel(nint module, nint function, int maxThreadsPerGroup, int staticSharedBytes)
{
    /// <summary>The <c>CUmodule</c>.</summary>
    public nint Module { get; } = module;

    /// <summary>The <c>CUfunction</c> of the variant's entry point.</summary>
    public nint Function { get; } = function;

    /// <summary>The most threads per group this function can run with (fewer than the device's when it uses many registers).</summary>
    public int MaxThreadsPerGroup { get; } = maxThreadsPerGroup;

    /// <summary>Static shared memory the function declares, as the driver counts it.</summary>
    public int StaticSharedBytes { get; } = staticSharedBytes;

    /// <summary>The dynamic shared memory the function has been opted in to (48 KiB until raised).</summary>
    public int DynamicSharedLimit { get; set; } = CudaApi.DefaultDynamicSharedLimit;
}
