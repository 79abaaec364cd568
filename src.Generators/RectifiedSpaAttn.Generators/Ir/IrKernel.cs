using System.Collections.Generic;

namespace RectifiedSpaAttn.Generators.Ir;

/// <summary>A virtual register. Locals are not SSA: they may be assigned many times.</summary>
public sealed class IrLocal
{
    public IrLocal(int id, string name, IrType type) { Id = id; Name = name; Type = type; }
    public int Id { get; }
    /// <summary>A readable base name from the C# source (backends append <see cref="Id"/> to keep names unique).</summary>
    public string Name { get; }
    public IrType Type { get; }
    public override string ToString() => Name + "_" + Id;
}

public enum IrParamKind { Buffer, Scalar, TensorMap }

/// <summary>
/// A launch-time kernel parameter. A buffer is passed per the compiler contract (PTX: <c>.u64</c> address of element 0
/// then <c>.u64</c> length; OpenCL: <c>__global T*</c> base, <c>ulong</c> offset, <c>ulong</c> length; CPU: an
/// <c>ArrayView</c> from the argument); <see cref="Type"/> is its element type. A scalar is passed by value (bool as
/// a 32-bit integer; fp16/bf16 as 16-bit integers).
/// </summary>
public sealed class IrParam
{
    public IrParam(int index, string name, IrParamKind kind, IrType type) { Index = index; Name = name; Kind = kind; Type = type; }
    /// <summary>Position among the launch-time parameters (specialisation constants are not parameters).</summary>
    public int Index { get; }
    public string Name { get; }
    public IrParamKind Kind { get; }
    public IrType Type { get; }
}

/// <summary>
/// One kernel variant, fully specialised and lowered: constants folded, helpers inlined, register arrays and structs
/// scalarised, marked loops unrolled. This is what every backend consumes.
/// </summary>
public sealed class IrKernel
{
    public IrKernel(string entryPoint, IReadOnlyList<IrParam> parameters, IReadOnlyList<IrLocal> locals,
        IReadOnlyList<IrSharedAllocation> sharedAllocations, bool usesDynamicShared, IrBlock body, IrLaunchBounds? launchBounds = null, bool requiresHopper = false)
    {
        RequiresHopper = requiresHopper;
        EntryPoint = entryPoint; Parameters = parameters; Locals = locals;
        SharedAllocations = sharedAllocations; UsesDynamicShared = usesDynamicShared; Body = body; LaunchBounds = launchBounds;
    }

    /// <summary>Whether the kernel is marked <c>[RequiresHopper]</c>: PTX for sm_90a only, no OpenCL.</summary>
    public bool RequiresHopper { get; }

    /// <summary>The kernel's <c>KernelHint.LaunchBounds</c>, or null when it has none.</summary>
    public IrLaunchBounds? LaunchBounds { get; }

    /// <summary>The entry point's name: a valid identifier in PTX, OpenCL C and C#, unique per variant.</summary>
    public string EntryPoint { get; }
    public IReadOnlyList<IrParam> Parameters { get; }
    /// <summary>Every local the body uses.</summary>
    public IReadOnlyList<IrLocal> Locals { get; }
    public IReadOnlyList<IrSharedAllocation> SharedAllocations { get; }
    public bool UsesDynamicShared { get; }
    public IrBlock Body { get; }

    /// <summary>Bytes of static shared memory: the end of the last allocation, rounded up to 16.</summary>
    public int StaticSharedBytes
    {
        get
        {
            int end = 0;
            foreach (IrSharedAllocation a in SharedAllocations) end = System.Math.Max(end, a.ByteOffset + a.Bytes);
            return (end + 15) / 16 * 16;
        }
    }
}

/// <summary>
/// A kernel's promise about its launches (<c>KernelHint.LaunchBounds</c>): at most <see cref="MaxGroupSize"/> threads
/// per group, and the wish that <see cref="MinGroupsPerMultiprocessor"/> groups (0: no wish) fit on a multiprocessor.
/// </summary>
public sealed class IrLaunchBounds
{
    public IrLaunchBounds(int maxGroupSize, int minGroupsPerMultiprocessor)
    {
        MaxGroupSize = maxGroupSize; MinGroupsPerMultiprocessor = minGroupsPerMultiprocessor;
    }

    public int MaxGroupSize { get; }
    public int MinGroupsPerMultiprocessor { get; }
}
