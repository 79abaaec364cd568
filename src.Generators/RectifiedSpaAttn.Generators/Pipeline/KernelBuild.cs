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
    string CpuMembers)
{
    /// <summary>The CPU backend's group function among <see cref="CpuMembers"/>.</summary>
    public string CpuMethodName => "Cpu_" + EntryPoint;
}

/// <summary>A launch-time parameter of a variant: a buffer or a scalar, with its <c>ScalarType</c> member name.</summary>
internal sealed record ParameterLayout(string Name, bool IsBuffer, string ScalarType);

/// <summary>A generated file.</summary>
internal sealed record GeneratedSource(string HintName, string Text);
