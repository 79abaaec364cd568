namespace RectifiedSpaAttn.Compute;

/// <summary>
/// Something that launches compiled kernel variants: an accelerator (on its default stream) or one of its streams.
/// Generated launchers build the argument list and call <see cref="Launch"/>.
/// </summary>
public interface IKernelLauncher
{
    /// <summary>Launches <paramref name="variant"/> over <paramref name="dims"/>.</summary>
    /// <param name="variant">The compiled kernel variant to run.</param>
    /// <param name="dims">Grid, group and dynamic shared memory sizes.</param>
    /// <param name="arguments">One argument per entry of <see cref="KernelVariant.Parameters"/>, in order.</param>
    void Launch(KernelVariant variant, LaunchDimensions dims, ReadOnlySpan<KernelArgument> arguments);
}
