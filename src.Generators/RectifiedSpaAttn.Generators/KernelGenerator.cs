using Microsoft.CodeAnalysis;

namespace RectifiedSpaAttn.Generators;

/// <summary>The kernel compiler's entry point (placeholder until the compiler lands).</summary>
[Generator(LanguageNames.CSharp)]
public sealed class KernelGenerator : IIncrementalGenerator
{
    /// <inheritdoc/>
    public void Initialize(IncrementalGeneratorInitializationContext context) { }
}
