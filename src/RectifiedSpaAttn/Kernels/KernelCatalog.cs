using RectifiedSpaAttn.Compute;

namespace RectifiedSpaAttn.Kernels;

/// <summary>
/// Every kernel variant compiled into this library, in every backend's form: for tools that inspect or pre-build
/// them (<c>rsa kernels</c> lists them and dumps their PTX and OpenCL C). The list is generated at build time.
/// </summary>
public static class KernelCatalog
{
    /// <summary>All variants of all of the library's kernels, kernel by kernel.</summary>
    public static IReadOnlyList<KernelVariant> Variants => Generated.KernelCatalog.Variants;
}
