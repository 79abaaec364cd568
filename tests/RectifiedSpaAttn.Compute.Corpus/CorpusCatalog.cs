using RectifiedSpaAttn.Compute;

namespace RectifiedSpaAttn.Kernels.Corpus;

/// <summary>Every kernel variant of the corpus, as the generator built them (for the tests that check the catalog).</summary>
internal static class CorpusCatalog
{
    /// <summary>All variants of all corpus kernels, kernel by kernel.</summary>
    public static IReadOnlyList<KernelVariant> Variants => RectifiedSpaAttn.Compute.Corpus.Generated.KernelCatalog.Variants;
}
