namespace RectifiedSpaAttn.Compute.OpenCL;

/// <summary>A variant's OpenCL program built for one accelerator, with its kernel object and what the launch needs to know.</summary>
internal sealed class OpenCLKernel(nint program, nint kernel, bool takesDynamicShared, int maxGroupSize, long staticLocalBytes)
{
    /// <summary>The <c>cl_program</c>.</summary>
    public nint Program { get; } = program;

    /// <summary>The <c>cl_kernel</c>. Its arguments are state, so setting them and enqueueing happen under a lock on this object.</summary>
    public nint Kernel { get; } = kernel;

    /// <summary>Whether the kernel ends with the <c>__local uchar* dyn_smem</c> argument.</summary>
    public bool TakesDynamicShared { get; } = takesDynamicShared;

    /// <summary>CL_KERNEL_WORK_GROUP_SIZE: the most work items per group this kernel can run with on the device.</summary>
    public int MaxGroupSize { get; } = maxGroupSize;

    /// <summary>CL_KERNEL_LOCAL_MEM_SIZE: local memory the kernel uses besides <c>dyn_smem</c>.</summary>
    public long StaticLocalBytes { get; } = staticLocalBytes;
}
