using RectifiedSpaAttn.Compute;

namespace RectifiedSpaAttn.Kernels;

/// <summary>Argument checks the host-side kernel steps share: a device kernel trusts its buffer sizes, so they are checked here.</summary>
internal static class StepArguments
{
    /// <summary>
    /// Throws an <see cref="ArgumentException"/> naming <paramref name="name"/> (and <paramref name="layout"/>, e.g.
    /// <c>"[B, H, nQ, nK]"</c>, when given) unless <paramref name="view"/> holds at least <paramref name="elements"/> elements.
    /// </summary>
    public static void RequireElements<T>(ArrayView<T> view, long elements, string name, string? layout = null) where T : unmanaged
    {
        if (view.Length < elements)
            throw new ArgumentException($"{name} holds {view.Length} elements but {layout ?? "the shape"} needs {elements}.", name);
    }
}
