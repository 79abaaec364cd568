using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using Microsoft.CodeAnalysis;
using RectifiedSpaAttn.Generators.Pipeline;

namespace RectifiedSpaAttn.Generators.Diagnostics;

/// <summary>
/// A diagnostic as plain, equatable data: its id, its message arguments as text, and where it is. It becomes a Roslyn
/// <see cref="Diagnostic"/> only when reported, so the pipeline can cache and compare it.
/// </summary>
internal sealed record DiagnosticInfo(string Id, EquatableArray<string> Arguments, SourceLocation? Location)
{
    public static DiagnosticInfo From(KernelCompileException error, Location fallback) => new(
        error.Descriptor.Id,
        EquatableArray.From(error.Arguments.Select(a => System.Convert.ToString(a, CultureInfo.InvariantCulture) ?? "")),
        SourceLocation.From(error.Location is { IsInSource: true } ? error.Location : fallback));

    /// <summary>The Roslyn diagnostic, placed in <paramref name="compilation"/>'s syntax tree when the file is one of its own.</summary>
    public Diagnostic ToDiagnostic(Compilation? compilation) => Diagnostic.Create(
        KernelDiagnostics.ById(Id), Location?.ToLocation(compilation) ?? Microsoft.CodeAnalysis.Location.None, Arguments.Cast<object>().ToArray());

    /// <summary><paramref name="errors"/> without repeats (a helper inlined at two sites, or every variant, fails the same way).</summary>
    public static EquatableArray<DiagnosticInfo> Distinct(IEnumerable<DiagnosticInfo> errors) => EquatableArray.From(errors.Distinct());
}
