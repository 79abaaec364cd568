using System.Linq;

namespace RectifiedSpaAttn.Generators.Ir;

/// <summary>The reason a <c>[RequiresHopper]</c> kernel runs only on sm_90a, as its variants state it.</summary>
public static class HopperRequirement
{
    /// <summary>"needs sm_90a (Hopper): uses wgmma.mma_async, mbarrier, ..." for Hopper kernels; null for portable ones.</summary>
    public static string? Of(IrKernel kernel)
    {
        if (!kernel.RequiresHopper) return null;
        string[] used = IrWalker.Statements(kernel.Body).OfType<IrHopper>().Select(h => h.InstructionName).Distinct().OrderBy(n => n, System.StringComparer.Ordinal).ToArray();
        return "needs sm_90a (Hopper): " + (used.Length == 0 ? "declared [RequiresHopper]" : "uses " + string.Join(", ", used));
    }
}
