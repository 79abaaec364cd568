using RectifiedSpaAttn.Tensors;

namespace RectifiedSpaAttn.Reference;

/// <summary>IPAR's implicit full-attention reference (step 4).</summary>
/// <param name="BlockMass"><c>P</c> <c>[B, H, nQ, nK]</c>: <c>n_j pi_ij / W_i</c>.</param>
/// <param name="TextMass"><c>T</c> <c>[B, H, nQ]</c>: <c>(sum_t pi_it) / W_i</c>; zero without valid text keys.</param>
public sealed record ImplicitReference(HostTensor<double> BlockMass, HostTensor<double> TextMass);
