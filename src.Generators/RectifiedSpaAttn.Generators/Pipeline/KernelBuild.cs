using RectifiedSpaAttn.Generators.Diagnostics;

namespace RectifiedSpaAttn.Generators.Pipeline;

/// <summary>
/// What the backends made of one kernel: per variant its PTX, OpenCL C and CPU code, and the backends' diagnostics
/// (without positions: they are placed at the kernel when reported). Only text, so it compares by value.
/// </summary>
internal sealed record KernelBuild(KernelDeclaration Declaration, EquatableArray<VariantBuild> Variants, EquatableArray<DiagnosticInfo> Diagnostics);

/// <summary>One specialisation after every backend ran: the inputs of the launcher emitter.</summary>
internal sealed record VariantBuild(
    EquatableArray<SpecializationValue> Values,
    string EntryPoint,
    EquatableArray<ParameterLayout> Parameters,
    int StaticSharedBytes,
    int MaxGroupSize,
    string Ptx,
    string OpenCL,
    string? OpenCLUnsupportedReason,
    string CpuMembers,
    string PtxTarget,
    string? ArchitectureRequirement)
{
    /// <summary>The CPU backend's group function among <see cref="CpuMembers"/>.</summary>
    public string CpuMethodName => "Cpu_" + EntryPoint;
}

/// <summary>A launch-time parameter of a variant: its <c>KernelParameterKind</c> member name (buffer, scalar, tensor map) and <c>ScalarType</c> member name.</summary>
internal sealed record ParameterLayout(string Name, string Kind, string ScalarType);

/// <summary>A generated file.</summary>
internal sealed record GeneratedSource(string HintName, string Text);
