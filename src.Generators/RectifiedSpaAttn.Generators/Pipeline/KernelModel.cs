using RectifiedSpaAttn.Generators.Diagnostics;
using RectifiedSpaAttn.Generators.Ir;

namespace RectifiedSpaAttn.Generators.Pipeline;

/// <summary>
/// The frontend's result for one <c>[Kernel]</c> method: everything later steps need, as plain data that compares by
/// value (no symbols, syntax or compilation). When the kernel has errors, <see cref="Diagnostics"/> lists all of them
/// and <see cref="Lowered"/> has no variants.
/// </summary>
internal sealed record KernelModel(LoweredKernel Lowered, SourceLocation? Anchor, EquatableArray<DiagnosticInfo> Diagnostics);

/// <summary>
/// What the backends and the launcher read: the kernel's declaration and the IR of each variant. It holds no source
/// positions, so an edit that only moves a kernel (an edit above it in its file) leaves it equal.
/// </summary>
internal sealed record LoweredKernel(KernelDeclaration Declaration, EquatableArray<VariantModel> Variants);

/// <summary>The C# declaration of a kernel as text: what the launcher emitter writes around the generated class.</summary>
/// <param name="HintName">The generated file's name.</param>
/// <param name="Namespace">The containing namespace, or null for the global namespace.</param>
/// <param name="ContainerHeaders">The <c>partial</c> headers of the containing types, outermost first (<c>partial class K</c>).</param>
/// <param name="ContainingTypeName">The simple name of the type declaring the kernel.</param>
/// <param name="LauncherType">The generated launcher's fully qualified name, for the catalog.</param>
internal sealed record KernelDeclaration(
    string HintName,
    string? Namespace,
    EquatableArray<string> ContainerHeaders,
    string ContainingTypeName,
    string KernelName,
    string LauncherType,
    EquatableArray<string> TypeParameters,
    EquatableArray<KernelParameterInfo> Parameters)
{
    /// <summary>The generated class's simple name.</summary>
    public string LauncherName => KernelName + "Kernel";
}

/// <summary>A C# parameter of a kernel as the launcher declares and passes it.</summary>
/// <param name="Type">The parameter's type, fully qualified.</param>
/// <param name="IsConstant">A <c>[Constant]</c> specialisation value: it selects the variant and is not passed.</param>
/// <param name="Fields">For a struct parameter, the scalars it is passed as, in parameter order; null otherwise.</param>
internal sealed record KernelParameterInfo(string Name, string Type, bool IsConstant, LaunchArgumentKind Argument,
    EquatableArray<StructFieldArgument>? Fields = null);

/// <summary>One scalar of a struct parameter: the member access below the parameter (<c>.Sizes.Rows</c>) and how it is passed.</summary>
internal sealed record StructFieldArgument(string Access, LaunchArgumentKind Argument);

/// <summary>How the launcher turns a C# argument into a <c>KernelArgument</c>.</summary>
internal enum LaunchArgumentKind { Buffer, TensorMap, Bool, Single, Double, Int32, Half, BFloat16, Integer }

/// <summary>One specialisation of a kernel, lowered.</summary>
internal sealed record VariantModel(EquatableArray<SpecializationValue> Values, EquatableIr Ir);

/// <summary>The value one <c>[Specialize]</c> axis takes in a variant.</summary>
/// <param name="Display">Readable (<c>bfloat16</c>, <c>64</c>).</param>
/// <param name="Selector">The C# expression the launcher compares with (<c>typeof(float)</c>, <c>64</c>).</param>
internal sealed record SpecializationValue(string Name, string Display, string Selector);
