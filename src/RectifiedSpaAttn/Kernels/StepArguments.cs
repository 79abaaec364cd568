using RectifiedSpaAttn.Compute;

namespace RectifiedSpaAttn.Kernels;

/// <summary>Argument checks the host-side kernel steps share: a device kernel trusts its buffer sizes, so they are checked here.</summary>
internal static class StepArguments
{
    /// <summary>Throws unless <paramref name="view"/> holds at least <paramref name="elements"/> elements.</summary>
    public static void RequireElements<T>(ArrayView<T> view, long elements, string name) where T : unmanaged
    {
        if (view.Length < elements)
            throw new ArgumentException($"{name} holds {view.Length} elements but the shape needs {elements}.", name);
    }
}
