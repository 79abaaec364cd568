namespace RectifiedSpaAttn.Compute;

/// <summary>
/// A device found by <see cref="Context.Create"/>: what it is and what it can do. Pass it to
/// <see cref="Context.CreateAccelerator"/> to use it.
/// </summary>
public sealed class AcceleratorInfo
{
    internal AcceleratorInfo(
        AcceleratorKind kind,
        int index,
        string name,
        long memoryBytes,
        int warpSize,
        int maxSharedMemoryPerGroup,
        int maxGroupSize,
        int multiprocessorCount,
        Version? computeCapability = null,
        string? openCLVersion = null,
        string? platformName = null,
        bool isGpu = false)
    {
        Kind = kind;
        Index = index;
        Name = name;
        MemoryBytes = memoryBytes;
        WarpSize = warpSize;
        MaxSharedMemoryPerGroup = maxSharedMemoryPerGroup;
        MaxGroupSize = maxGroupSize;
        MultiprocessorCount = multiprocessorCount;
        ComputeCapability = computeCapability;
        OpenCLVersion = openCLVersion;
        PlatformName = platformName;
        IsGpu = isGpu;
    }

    /// <summary>The backend.</summary>
    public AcceleratorKind Kind { get; }

    /// <summary>
    /// The device's index within its backend: the CUDA device ordinal, the position among all OpenCL devices of all
    /// platforms (in enumeration order), or 0 for the CPU.
    /// </summary>
    public int Index { get; }

    /// <summary>The device's name as its driver reports it.</summary>
    public string Name { get; }

    /// <summary>Global memory in bytes.</summary>
    public long MemoryBytes { get; }

    /// <summary>
    /// Threads that execute in lock step: 32 on NVIDIA GPUs and for the CPU accelerator (whose kernels emulate
    /// 32-lane warps); the vendor's warp/wavefront width for OpenCL devices that report one, otherwise 1.
    /// </summary>
    public int WarpSize { get; }

    /// <summary>The most shared (local) memory one group can use, static and dynamic together, in bytes.</summary>
    public int MaxSharedMemoryPerGroup { get; }

    /// <summary>The most threads one group can have.</summary>
    public int MaxGroupSize { get; }

    /// <summary>Streaming multiprocessors (CUDA), compute units (OpenCL) or hardware threads (CPU).</summary>
    public int MultiprocessorCount { get; }

    /// <summary>The CUDA compute capability (e.g. 9.0); null for other backends.</summary>
    public Version? ComputeCapability { get; }

    /// <summary>The OpenCL device version string (e.g. <c>OpenCL 3.0 CUDA</c>); null for other backends.</summary>
    public string? OpenCLVersion { get; }

    /// <summary>The OpenCL platform's name, or the CUDA driver version (e.g. <c>CUDA 12.4</c>); null for the CPU.</summary>
    public string? PlatformName { get; }

    /// <summary>Whether the device is a GPU (all CUDA devices; OpenCL devices of type GPU).</summary>
    public bool IsGpu { get; }

    /// <summary>OpenCL only: the <c>cl_platform_id</c>.</summary>
    internal nint PlatformHandle { get; init; }

    /// <summary>OpenCL only: the <c>cl_device_id</c>.</summary>
    internal nint DeviceHandle { get; init; }

    /// <inheritdoc/>
    public override string ToString()
    {
        string memory = $"{MemoryBytes / (1024.0 * 1024 * 1024):0.#} GiB";
        string extra = Kind switch
        {
            AcceleratorKind.Cuda => $", compute capability {ComputeCapability}",
            AcceleratorKind.OpenCL => $", {OpenCLVersion}, platform {PlatformName}",
            _ => "",
        };
        return $"{Kind} #{Index}: {Name} ({memory}{extra})";
    }
}
