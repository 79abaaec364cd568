using RectifiedSpaAttn.Tensors;
using RectifiedSpaAttn.Video;

namespace RectifiedSpaAttn.Cli.Commands;

/// <summary>Everything but the inputs that one attention computation of <c>demo</c> or <c>run</c> needs.</summary>
internal sealed record AttentionSetup(SelectionOptions Selection, HostTensor<bool>? CriticalMask = null, VideoLayout? VideoLayout = null, bool UseVideoNeighbors = false)
{
    /// <summary>The library's options; <paramref name="criticalMask"/> replaces <see cref="CriticalMask"/> (a one-head slice of it).</summary>
    public RectifiedSpaAttnOptions ToOptions(HostTensor<bool>? criticalMask) => new()
    {
        QueryBlockSize = Selection.BlockSize,
        KeyBlockSize = Selection.BlockSize,
        DropRate = Selection.TopK is null ? Selection.DropRate : null,
        MinCriticalBlocks = Selection.TopK,
        Tau = Selection.Tau,
        FirstFrameBlocks = Selection.FirstFrameBlocks,
        TextTokens = Selection.TextTokens,
        ValidTextTokens = Selection.ValidTextTokens,
        CriticalMask = criticalMask,
        VideoLayout = VideoLayout,
        UseVideoNeighbors = UseVideoNeighbors,
    };

    /// <summary>The library's options for all heads at once.</summary>
    public RectifiedSpaAttnOptions ToOptions() => ToOptions(CriticalMask);
}
