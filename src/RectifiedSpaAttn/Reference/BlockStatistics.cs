using RectifiedSpaAttn.Tensors;

namespace RectifiedSpaAttn.Reference;

/// <summary>
/// Block-pooled statistics of one of Q, K, V over the visual tokens (step 1 and GAPR's deviations, step 6).
/// </summary>
/// <param name="Means">The block means <c>[B, H, nBlocks, D]</c> (<c>qbar</c>, <c>kbar</c> or <c>vbar</c>), over each block's valid tokens only.</param>
/// <param name="MeanAbsoluteDeviations">
/// The block mean absolute deviations <c>[B, H, nBlocks, D]</c>: element-wise mean over the block's tokens of
/// <c>|x_t - mean|</c> (<c>dq</c> or <c>dk</c>).
/// </param>
public sealed record BlockStatistics(HostTensor<double> Means, HostTensor<double> MeanAbsoluteDeviations);
