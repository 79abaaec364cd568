using System;
using RectifiedSpaAttn.Generators.Ir;

namespace RectifiedSpaAttn.Generators.Pipeline;

/// <summary>A variant's IR in a pipeline model: equal when the programs are (<see cref="IrStructuralEquality"/>).</summary>
internal sealed class EquatableIr : IEquatable<EquatableIr>
{
    public EquatableIr(IrKernel kernel) => Kernel = kernel;

    public IrKernel Kernel { get; }

    public bool Equals(EquatableIr? other) => other is not null && (ReferenceEquals(this, other) || IrStructuralEquality.Equal(Kernel, other.Kernel));

    public override bool Equals(object? obj) => Equals(obj as EquatableIr);

    public override int GetHashCode() => unchecked(Kernel.EntryPoint.GetHashCode() * 31 + Kernel.Locals.Count);
}
