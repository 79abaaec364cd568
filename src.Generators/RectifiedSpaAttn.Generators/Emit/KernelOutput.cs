using System;
using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;

namespace RectifiedSpaAttn.Generators.Emit;

/// <summary>
/// What the generator produces for one kernel: the launcher source, the launcher's name for the catalog, and any
/// diagnostics. Equality is by value so the incremental pipeline skips unchanged kernels downstream.
/// </summary>
internal sealed class KernelOutput : IEquatable<KernelOutput>
{
    public KernelOutput(string hintName, string? source, string? launcherType, ImmutableArray<Diagnostic> diagnostics)
    { HintName = hintName; Source = source; LauncherType = launcherType; Diagnostics = diagnostics; }

    public string HintName { get; }
    public string? Source { get; }
    /// <summary>Fully qualified name of the generated launcher class, or null when the kernel failed to compile.</summary>
    public string? LauncherType { get; }
    public ImmutableArray<Diagnostic> Diagnostics { get; }

    public bool Equals(KernelOutput? other) =>
        other is not null && HintName == other.HintName && Source == other.Source && LauncherType == other.LauncherType
        && Diagnostics.Select(d => d.ToString()).SequenceEqual(other.Diagnostics.Select(d => d.ToString()));

    public override bool Equals(object? obj) => Equals(obj as KernelOutput);

    public override int GetHashCode() => (HintName.GetHashCode() * 397) ^ (Source?.GetHashCode() ?? 0);
}
