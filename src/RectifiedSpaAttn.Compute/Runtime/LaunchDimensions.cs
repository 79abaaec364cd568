namespace RectifiedSpaAttn.Compute;

/// <summary>A three-dimensional extent (grid size in groups, or group size in threads).</summary>
/// <param name="X">Extent along x.</param>
/// <param name="Y">Extent along y.</param>
/// <param name="Z">Extent along z.</param>
public readonly record struct Dim3(int X, int Y = 1, int Z = 1)
{
    /// <summary>X * Y * Z.</summary>
    public long Size => (long)X * Y * Z;

    /// <summary>A one-dimensional extent.</summary>
    public static implicit operator Dim3(int x) => new(x);

    /// <inheritdoc/>
    public override string ToString() => $"({X}, {Y}, {Z})";
}

/// <summary>How a kernel is launched: grid of groups, group of threads, dynamic shared memory.</summary>
/// <param name="Grid">Number of groups along each axis.</param>
/// <param name="Group">Threads per group along each axis.</param>
/// <param name="DynamicSharedMemoryBytes">Bytes of dynamic shared memory per group.</param>
public readonly record struct LaunchDimensions(Dim3 Grid, Dim3 Group, int DynamicSharedMemoryBytes = 0);

/// <summary>
/// What the CPU backend's group function receives: where the group sits in the grid, the launch's sizes, and
/// the group's dynamic shared memory (a host buffer owned by the caller for the duration of the call).
/// </summary>
public readonly struct CpuGroupContext
{
    /// <summary>Creates a context (called by the CPU accelerator).</summary>
    public CpuGroupContext(Dim3 groupIndex, Dim3 gridDim, Dim3 groupDim, nint dynamicSharedMemory, int dynamicSharedMemoryBytes)
    {
        GroupIndex = groupIndex;
        GridDim = gridDim;
        GroupDim = groupDim;
        DynamicSharedMemory = dynamicSharedMemory;
        DynamicSharedMemoryBytes = dynamicSharedMemoryBytes;
    }

    /// <summary>This group's index in the grid.</summary>
    public Dim3 GroupIndex { get; }
    /// <summary>The grid's size in groups.</summary>
    public Dim3 GridDim { get; }
    /// <summary>The group's size in threads.</summary>
    public Dim3 GroupDim { get; }
    /// <summary>Host address of the dynamic shared memory (16-byte aligned).</summary>
    public nint DynamicSharedMemory { get; }
    /// <summary>Size of the dynamic shared memory in bytes.</summary>
    public int DynamicSharedMemoryBytes { get; }
}
