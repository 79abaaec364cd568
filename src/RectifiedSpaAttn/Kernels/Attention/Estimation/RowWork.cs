using RectifiedSpaAttn.Compute;

namespace RectifiedSpaAttn.Kernels.Attention.Estimation;

/// <summary>What one launch of the per-row kernel (<see cref="RowStepKernels"/>) does, in this order.</summary>
[Flags]
internal enum RowWork
{
    /// <summary>Nothing.</summary>
    None = 0,

    /// <summary>Steps 3-4: masses P and T from the logits.</summary>
    Masses = 1,

    /// <summary>Step 5: the critical-block mask from P and T.</summary>
    Select = 2,

    /// <summary>The compact per-row lists from the mask (selected in the same launch, or given).</summary>
    Compact = 4,
}

/// <summary>Step 5's parameters: tau, k_min, first-frame blocks and the optional neighbour mask <c>[nQ, nK]</c>.</summary>
internal readonly record struct SelectionRule(float Tau, int MinCriticalBlocks, int FirstFrameBlocks, ArrayView<byte> NeighborMask, bool HasNeighborMask);
