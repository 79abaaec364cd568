using RectifiedSpaAttn.Compute;

namespace RectifiedSpaAttn.Attention.Pipeline;

/// <summary>The views the steps read (q, k, v) and write (output): the caller's tensors, or their curve-ordered copies.</summary>
internal readonly record struct AttentionStepInputs<T>(ArrayView<T> Q, ArrayView<T> K, ArrayView<T> V, ArrayView<T> Output) where T : unmanaged;
