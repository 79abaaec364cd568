using RectifiedSpaAttn.Reference;

namespace RectifiedSpaAttn.Kernels.Attention;

/// <summary>
/// The sizes every attention kernel step needs, in one value: Q, K, V and outputs are <c>[B, H, S, D]</c>; the first
/// <see cref="VisualTokens"/> tokens are visual, cut into query blocks of <see cref="QueryBlockSize"/> and key blocks of
/// <see cref="KeyBlockSize"/> (the last of each may be partial); then <see cref="TextTokens"/> text slots of which the
/// first <see cref="ValidTextTokens"/> are valid. Per-block buffers are <c>[B, H, nQ or nK, ...]</c>, row-major.
/// </summary>
internal readonly record struct AttentionShape(
    int Batch, int Heads, int SequenceLength, int HeadDim, int TextTokens, int ValidTextTokens, int QueryBlockSize, int KeyBlockSize)
{
    /// <summary>The shape of <c>[B, H, S, D]</c> inputs laid out as <paramref name="layout"/> says.</summary>
    public static AttentionShape For(int batch, int heads, int headDim, BlockLayout layout) =>
        new(batch, heads, layout.SequenceLength, headDim, layout.TextTokens, layout.ValidTextTokens, layout.QueryBlockSize, layout.KeyBlockSize);

    /// <summary>Visual tokens <c>S_vis</c>: tokens <c>[0, VisualTokens)</c>.</summary>
    public int VisualTokens => SequenceLength - TextTokens;

    /// <summary>Keys that may be attended: the visual tokens and the valid text slots, <c>[0, ValidKeys)</c>.</summary>
    public int ValidKeys => VisualTokens + ValidTextTokens;

    /// <summary>Query blocks <c>nQ = ceil(S_vis / M)</c>.</summary>
    public int QueryBlocks => (VisualTokens + QueryBlockSize - 1) / QueryBlockSize;

    /// <summary>Key blocks <c>nK = ceil(S_vis / N)</c>.</summary>
    public int KeyBlocks => (VisualTokens + KeyBlockSize - 1) / KeyBlockSize;

    /// <summary>(b, h) pairs, <c>B * H</c>.</summary>
    public int HeadCount => Batch * Heads;

    /// <summary>Elements of one <c>[B, H, S, D]</c> tensor.</summary>
    public long TokenElements => (long)HeadCount * SequenceLength * HeadDim;
}
