namespace RectifiedSpaAttn.Compute;

/// <summary>
/// Thrown when a kernel-language member that has meaning only inside a compiled kernel is called from ordinary host code.
/// </summary>
public sealed class KernelOnlyException : InvalidOperationException
{
    internal KernelOnlyException(string member)
        : base($"{member} is part of the kernel language and has meaning only inside a [Kernel] method compiled by the RectifiedSpaAttn generator; launch the kernel through its generated launcher instead.") { }
}

/// <summary>The launch grid: group indices and the grid's size in groups (<c>blockIdx</c>/<c>gridDim</c> in CUDA terms).</summary>
public static class Grid
{
    /// <summary>Index of the current group along x.</summary>
    public static int IdxX => throw new KernelOnlyException("Grid.IdxX");
    /// <summary>Index of the current group along y.</summary>
    public static int IdxY => throw new KernelOnlyException("Grid.IdxY");
    /// <summary>Index of the current group along z.</summary>
    public static int IdxZ => throw new KernelOnlyException("Grid.IdxZ");
    /// <summary>Number of groups along x.</summary>
    public static int DimX => throw new KernelOnlyException("Grid.DimX");
    /// <summary>Number of groups along y.</summary>
    public static int DimY => throw new KernelOnlyException("Grid.DimY");
    /// <summary>Number of groups along z.</summary>
    public static int DimZ => throw new KernelOnlyException("Grid.DimZ");
    /// <summary>Global thread index along x: <c>Grid.IdxX * Group.DimX + Group.IdxX</c>.</summary>
    public static int GlobalIndexX => throw new KernelOnlyException("Grid.GlobalIndexX");
}

/// <summary>The current group (thread block / work-group): thread indices within it and its size.</summary>
public static class Group
{
    /// <summary>Index of the current thread within its group along x.</summary>
    public static int IdxX => throw new KernelOnlyException("Group.IdxX");
    /// <summary>Index of the current thread within its group along y.</summary>
    public static int IdxY => throw new KernelOnlyException("Group.IdxY");
    /// <summary>Index of the current thread within its group along z.</summary>
    public static int IdxZ => throw new KernelOnlyException("Group.IdxZ");
    /// <summary>Group size along x.</summary>
    public static int DimX => throw new KernelOnlyException("Group.DimX");
    /// <summary>Group size along y.</summary>
    public static int DimY => throw new KernelOnlyException("Group.DimY");
    /// <summary>Group size along z.</summary>
    public static int DimZ => throw new KernelOnlyException("Group.DimZ");
    /// <summary>Linear index of the thread in its group: <c>IdxX + DimX * (IdxY + DimY * IdxZ)</c>.</summary>
    public static int LinearIndex => throw new KernelOnlyException("Group.LinearIndex");

    /// <summary>
    /// Waits until every thread of the group has reached this barrier, and makes shared-memory writes made before
    /// it visible to the whole group. Must be reached by all threads of the group (group-uniform control flow).
    /// </summary>
    public static void Barrier() => throw new KernelOnlyException("Group.Barrier");
}
