using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using RectifiedSpaAttn.Generators.Diagnostics;
using RectifiedSpaAttn.Generators.Emit;
using RectifiedSpaAttn.Generators.Pipeline;

namespace RectifiedSpaAttn.Generators;

/// <summary>
/// The kernel compiler's entry point: an incremental generator that compiles every <c>[Kernel]</c> method of the
/// compilation to PTX, OpenCL C and CPU code with a typed launcher, and lists all of them in a per-assembly
/// <c>&lt;AssemblyName&gt;.Generated.KernelCatalog</c>.
/// </summary>
/// <remarks>
/// The pipeline, step by step (tracking names in <see cref="TrackingNames"/>):
/// <list type="number">
/// <item><c>Frontend</c>: each kernel through the frontend to a <see cref="KernelModel"/> (IR per variant, all its
/// errors as data, its position). Roslyn runs it for every kernel on every edit; its value equality is what lets
/// the later steps skip unchanged kernels.</item>
/// <item><c>Lowered</c>: the model without positions, so a kernel that only moved stays equal.</item>
/// <item><c>Backends</c>: PTX, OpenCL C and CPU code of one kernel, re-run only when its <c>Lowered</c> changed.</item>
/// <item><c>Launchers</c>: the launcher source, added to the compilation.</item>
/// <item><c>FrontendDiagnostics</c> and <c>BackendDiagnostics</c>: the errors, reported apart from the source output.</item>
/// <item><c>Catalog</c>: every launcher's name, for <c>KernelCatalog</c>.</item>
/// </list>
/// </remarks>
[Generator(LanguageNames.CSharp)]
public sealed class KernelGenerator : IIncrementalGenerator
{
    private const string KernelAttribute = "RectifiedSpaAttn.Compute.KernelAttribute";

    /// <inheritdoc/>
    public void Initialize(IncrementalGeneratorInitializationContext context)
    {
        IncrementalValuesProvider<KernelModel> models = context.SyntaxProvider.ForAttributeWithMetadataName(
                KernelAttribute,
                static (node, _) => node is MethodDeclarationSyntax,
                KernelFrontend.Lower)
            .WithTrackingName(TrackingNames.Frontend);

        IncrementalValuesProvider<KernelBuild> builds = models
            .Select(static (m, _) => m.Lowered).WithTrackingName(TrackingNames.Lowered)
            .Select(KernelBackends.Build).WithTrackingName(TrackingNames.Backends);

        IncrementalValuesProvider<GeneratedSource> launchers = builds
            .Where(static b => b.Diagnostics.Count == 0 && b.Variants.Count > 0)
            .Select(static (b, _) => LauncherEmitter.Emit(b)).WithTrackingName(TrackingNames.Launchers);
        context.RegisterSourceOutput(launchers, static (spc, source) => spc.AddSource(source.HintName, source.Text));

        // Diagnostics go through their own steps: the source output never waits on them, and they hold no syntax.
        IncrementalValuesProvider<EquatableArray<DiagnosticInfo>> frontendDiagnostics = models
            .Select(static (m, _) => m.Diagnostics).WithTrackingName(TrackingNames.FrontendDiagnostics);
        // Reporting reads the compilation only to place each error in its syntax tree (so IDEs underline it): that step
        // runs on every edit, but it only turns cached plain data into Roslyn diagnostics.
        context.RegisterSourceOutput(frontendDiagnostics.Combine(context.CompilationProvider), static (spc, input) =>
        {
            foreach (DiagnosticInfo d in input.Left) spc.ReportDiagnostic(d.ToDiagnostic(input.Right));
        });

        // A backend's error has no position of its own: it is placed at its kernel, whose position the frontend knows.
        IncrementalValueProvider<EquatableArray<DiagnosticInfo>> backendDiagnostics = builds
            .Where(static b => b.Diagnostics.Count > 0).Collect()
            .Combine(models.Select(static (m, _) => (m.Lowered.Declaration.HintName, m.Anchor)).Collect())
            .Select(static (input, _) => PlaceAtKernels(input.Left, input.Right)).WithTrackingName(TrackingNames.BackendDiagnostics);
        context.RegisterSourceOutput(backendDiagnostics.Combine(context.CompilationProvider), static (spc, input) =>
        {
            foreach (DiagnosticInfo d in input.Left) spc.ReportDiagnostic(d.ToDiagnostic(input.Right));
        });

        IncrementalValueProvider<GeneratedSource?> catalog = builds
            .Where(static b => b.Diagnostics.Count == 0 && b.Variants.Count > 0).Select(static (b, _) => b.Declaration.LauncherType).Collect()
            .Combine(context.CompilationProvider.Select(static (c, _) => c.AssemblyName))
            .Select(static (input, _) => CatalogEmitter.Emit(input.Left, input.Right)).WithTrackingName(TrackingNames.Catalog);
        context.RegisterSourceOutput(catalog, static (spc, source) =>
        {
            if (source is not null) spc.AddSource(source.HintName, source.Text);
        });
    }

    private static EquatableArray<DiagnosticInfo> PlaceAtKernels(
        ImmutableArray<KernelBuild> failed, ImmutableArray<(string HintName, SourceLocation? Anchor)> kernels)
    {
        if (failed.IsEmpty) return EquatableArray<DiagnosticInfo>.Empty;
        var anchors = new Dictionary<string, SourceLocation?>();
        foreach (var k in kernels) anchors[k.HintName] = k.Anchor;
        return EquatableArray.From(failed.SelectMany(b => b.Diagnostics.Select(d =>
            d with { Location = d.Location ?? (anchors.TryGetValue(b.Declaration.HintName, out SourceLocation? at) ? at : null) })));
    }
}
