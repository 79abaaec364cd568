namespace RectifiedSpaAttn.Generators.Pipeline;

/// <summary>
/// The names of the generator's pipeline steps, as <c>WithTrackingName</c> gives them, so tests can ask Roslyn's
/// step tracking (<c>GeneratorDriverOptions.TrackIncrementalGeneratorSteps</c>) which steps re-ran after an edit.
/// </summary>
internal static class TrackingNames
{
    /// <summary>Each <c>[Kernel]</c> method through the frontend: a <see cref="KernelModel"/> (its IR per variant, its diagnostics, its location).</summary>
    public const string Frontend = nameof(Frontend);

    /// <summary>The part of the model the backends read: everything except source positions, so moving a kernel re-runs nothing.</summary>
    public const string Lowered = nameof(Lowered);

    /// <summary>PTX, OpenCL C and CPU code for every variant of one kernel (the expensive step).</summary>
    public const string Backends = nameof(Backends);

    /// <summary>The launcher source of one kernel.</summary>
    public const string Launchers = nameof(Launchers);

    /// <summary>The frontend's diagnostics of one kernel.</summary>
    public const string FrontendDiagnostics = nameof(FrontendDiagnostics);

    /// <summary>The backends' diagnostics of all kernels, placed at their kernels.</summary>
    public const string BackendDiagnostics = nameof(BackendDiagnostics);

    /// <summary>The names of all launchers and the assembly name, for the kernel catalog.</summary>
    public const string Catalog = nameof(Catalog);
}
