using RectifiedSpaAttn.Tensors;

namespace RectifiedSpaAttn.Reference;

/// <summary>The rectification terms of step 8.</summary>
/// <param name="Rectification"><c>R</c> <c>[B, H, nQ]</c>: <c>sum_{j in Pi_i} P_ij + T_i</c>.</param>
/// <param name="Compensation"><c>C</c> <c>[B, H, nQ, D]</c>: <c>sum_{j not in Pi_i} P_ij vbar_j</c>.</param>
public sealed record RectificationTerms(HostTensor<double> Rectification, HostTensor<double> Compensation);
