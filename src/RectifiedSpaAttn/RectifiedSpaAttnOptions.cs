using RectifiedSpaAttn.Tensors;

namespace RectifiedSpaAttn;

/// <summary>
/// The parameters of Rectified SpaAttn (arXiv 2511.19835): block sizes, the critical-block selection rule
/// (drop rate or minimum block count, keep threshold, neighbour and first-frame blocks, or a caller-supplied mask)
/// and the text-token layout. Every implementation (the exact reference and the kernels) reads the same options.
/// </summary>
/// <remarks>
/// The tokens of a <c>[B, H, S, D]</c> input are <c>S_vis = S - TextTokens</c> visual tokens followed by
/// <see cref="TextTokens"/> text slots, of which the first <see cref="ValidTextTokens"/> are valid. Visual tokens are cut
/// into query blocks of <see cref="QueryBlockSize"/> and key blocks of <see cref="KeyBlockSize"/> tokens; the last block
/// of each may be partial. <c>nQ = ceil(S_vis / QueryBlockSize)</c>, <c>nK = ceil(S_vis / KeyBlockSize)</c>.
/// </remarks>
public sealed class RectifiedSpaAttnOptions
{
    /// <summary>
    /// The tolerance added before rounding <c>(1 - DropRate) * nK</c> down, so that a decimal drop rate whose binary
    /// value lands just below the intended product (0.8 of 10 blocks is 1.9999999999999996) still gives the intended count.
    /// </summary>
    public const double MinCriticalBlocksRoundingTolerance = 1e-9;

    /// <summary>Query block size <c>M</c> in tokens: visual queries are pooled and rectified per block of this many tokens. Default 128.</summary>
    public int QueryBlockSize { get; init; } = 128;

    /// <summary>Key block size <c>N</c> in tokens: the unit of sparsity (a key block is attended in full or not at all). Default 128.</summary>
    public int KeyBlockSize { get; init; } = 128;

    /// <summary>
    /// The fraction of key blocks that may be dropped per query-block row; it sets the minimum number of critical
    /// blocks <c>k_min = floor((1 - DropRate) * nK)</c> (see <see cref="ResolveMinCriticalBlocks"/>). Must be in [0, 1].
    /// Ignored when <see cref="MinCriticalBlocks"/> is set; when both are null, <c>k_min = 0</c>. Default 0.75.
    /// </summary>
    public double? DropRate { get; init; } = 0.75;

    /// <summary>
    /// The minimum number of critical key blocks per query-block row, <c>k_min</c>, given directly (the reference
    /// pipeline's <c>top_k</c>). When set, <see cref="DropRate"/> is ignored. Values above the row length select the whole row.
    /// </summary>
    public int? MinCriticalBlocks { get; init; }

    /// <summary>
    /// The keep threshold on the cumulative mass of a row sorted in descending order: the row keeps
    /// <c>c = (number of prefix sums &lt;= Tau) + 1</c> entries (at least <c>k_min</c>). <c>Tau &gt;= 1</c> keeps everything.
    /// Must be a non-negative number (infinity allowed). Default 0.3.
    /// </summary>
    public double Tau { get; init; } = 0.3;

    /// <summary>
    /// The number of key blocks <c>F</c> that make up the first video frame: for query blocks <c>i &lt; F</c>, every key
    /// block <c>j &lt; F</c> is critical. 0 (the default) disables the rule. Must not exceed <c>nK</c>.
    /// </summary>
    public int FirstFrameBlocks { get; init; }

    /// <summary>
    /// The number of text-token slots <c>S_txt</c> at the end of the sequence (joint text-video attention). Text keys are
    /// pooled as isolated columns (IPAR) and always attended; text queries attend densely. Default 0.
    /// </summary>
    public int TextTokens { get; init; }

    /// <summary>
    /// How many of the text slots, counted from the first, are valid (<c>L_txt</c>); null means all of them. Invalid slots
    /// are never attended to and their output rows are zero.
    /// </summary>
    public int? ValidTextTokens { get; init; }

    /// <summary>
    /// A caller-supplied critical-block mask <c>[B, H, nQ, nK]</c>. When set, it replaces the selection (drop rate,
    /// <see cref="Tau"/>, neighbour and first-frame rules are not applied) and is used unchanged by GAPR, sparse attention
    /// and rectification. Valid text keys are still always attended. This is how other sparsity methods plug in.
    /// </summary>
    public HostTensor<bool>? CriticalMask { get => _criticalMask; init => _criticalMask = value; }

    private HostTensor<bool>? _criticalMask;

    /// <summary>A copy of these options with <see cref="CriticalMask"/> replaced (a rank's heads of a split call).</summary>
    internal RectifiedSpaAttnOptions WithCriticalMask(HostTensor<bool>? mask)
    {
        var copy = (RectifiedSpaAttnOptions)MemberwiseClone();
        copy._criticalMask = mask;
        return copy;
    }

    /// <summary>
    /// An optional block-neighbour mask <c>[nQ, nK]</c>, shared by all batch items and heads: key block <c>j</c> is critical
    /// for query block <c>i</c> whenever <c>NeighborMask[i, j]</c> is true (the video layout's spatial neighbours).
    /// </summary>
    public HostTensor<bool>? NeighborMask { get; init; }

    /// <summary>
    /// The video layout of the visual tokens, or null when they are already in block order. When set, the first
    /// <c>S_vis</c> tokens of q, k and v are a <c>T x H x W</c> grid in row-major order (<see cref="Video.VideoLayout.Grid"/>
    /// must hold exactly <c>S_vis</c> tokens): they are reordered along the 3D Gilbert curve before attention, so that each
    /// block is a compact region, and the output is put back in row-major order. Masks and per-block results are in
    /// curve order. The device API does both reorders on the accelerator.
    /// </summary>
    public Video.VideoLayout? VideoLayout { get; init; }

    /// <summary>
    /// With <see cref="VideoLayout"/>: key blocks that touch query block <c>i</c> in the grid (26-neighbourhood) are
    /// critical for it, in addition to <see cref="NeighborMask"/> (the CLI's <c>--neighbors</c>). Default false.
    /// </summary>
    public bool UseVideoNeighbors { get; init; }

    /// <summary>The number of valid text slots <c>L_txt</c>: <see cref="ValidTextTokens"/>, or <see cref="TextTokens"/> when it is null.</summary>
    public int EffectiveValidTextTokens => ValidTextTokens ?? TextTokens;

    /// <summary>
    /// The minimum number of critical blocks per row, <c>k_min</c>, for a row of <paramref name="keyBlocks"/> key blocks:
    /// <see cref="MinCriticalBlocks"/> when set; else <c>floor((1 - DropRate) * nK)</c> (with
    /// <see cref="MinCriticalBlocksRoundingTolerance"/>); else 0. Not capped: the selection caps it at the row length.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="keyBlocks"/> is negative.</exception>
    public int ResolveMinCriticalBlocks(int keyBlocks)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(keyBlocks);
        if (MinCriticalBlocks is int given) return given;
        if (DropRate is double drop) return (int)Math.Floor((1.0 - drop) * keyBlocks + MinCriticalBlocksRoundingTolerance);
        return 0;
    }

    /// <summary>
    /// Checks the options against an input of shape <c>[batch, heads, sequenceLength, D]</c>.
    /// </summary>
    /// <exception cref="ArgumentException">A value is out of range or a mask has the wrong shape; the message names it.</exception>
    public void Validate(int batch, int heads, int sequenceLength)
    {
        if (batch < 1) throw new ArgumentException($"The batch size must be at least 1, got {batch}.", nameof(batch));
        if (heads < 1) throw new ArgumentException($"The head count must be at least 1, got {heads}.", nameof(heads));
        if (sequenceLength < 1) throw new ArgumentException($"The sequence length must be at least 1, got {sequenceLength}.", nameof(sequenceLength));
        if (QueryBlockSize < 1) throw new ArgumentException($"{nameof(QueryBlockSize)} must be at least 1, got {QueryBlockSize}.");
        if (KeyBlockSize < 1) throw new ArgumentException($"{nameof(KeyBlockSize)} must be at least 1, got {KeyBlockSize}.");
        if (DropRate is double drop && !(drop >= 0 && drop <= 1))
            throw new ArgumentException($"{nameof(DropRate)} must be in [0, 1], got {drop}.");
        if (MinCriticalBlocks is < 0)
            throw new ArgumentException($"{nameof(MinCriticalBlocks)} must not be negative, got {MinCriticalBlocks}.");
        if (double.IsNaN(Tau) || Tau < 0)
            throw new ArgumentException($"{nameof(Tau)} must be a non-negative number, got {Tau}.");
        if (TextTokens < 0 || TextTokens > sequenceLength)
            throw new ArgumentException($"{nameof(TextTokens)} must be in [0, {sequenceLength}] (the sequence length), got {TextTokens}.");
        if (ValidTextTokens is int valid && (valid < 0 || valid > TextTokens))
            throw new ArgumentException($"{nameof(ValidTextTokens)} must be in [0, {TextTokens}] ({nameof(TextTokens)}), got {valid}.");

        int visual = sequenceLength - TextTokens;
        int nQ = CeilDiv(visual, QueryBlockSize), nK = CeilDiv(visual, KeyBlockSize);
        if (FirstFrameBlocks < 0 || FirstFrameBlocks > nK)
            throw new ArgumentException($"{nameof(FirstFrameBlocks)} must be in [0, {nK}] (the key block count), got {FirstFrameBlocks}.");
        if (CriticalMask is { } critical && !critical.Shape.SequenceEqual([batch, heads, nQ, nK]))
            throw new ArgumentException(
                $"{nameof(CriticalMask)} has shape {critical.ShapeText}; expected [{batch}, {heads}, {nQ}, {nK}] ([B, H, nQ, nK] for " +
                $"{visual} visual tokens, query block {QueryBlockSize}, key block {KeyBlockSize}).");
        if (VideoLayout is { } video && video.TokenCount != visual)
            throw new ArgumentException(
                $"{nameof(VideoLayout)} has a {video.Grid} grid of {video.TokenCount} tokens but the input has {visual} visual tokens " +
                $"({sequenceLength} tokens, {TextTokens} text slots).");
        if (UseVideoNeighbors && VideoLayout is null)
            throw new ArgumentException($"{nameof(UseVideoNeighbors)} needs a {nameof(VideoLayout)} to find the neighbouring blocks.");
        if (NeighborMask is { } neighbor && !neighbor.Shape.SequenceEqual([nQ, nK]))
            throw new ArgumentException(
                $"{nameof(NeighborMask)} has shape {neighbor.ShapeText}; expected [{nQ}, {nK}] ([nQ, nK] for {visual} visual tokens, " +
                $"query block {QueryBlockSize}, key block {KeyBlockSize}).");
    }

    /// <summary>
    /// The neighbour mask selection applies, <c>[nQ, nK]</c>: <see cref="NeighborMask"/>, joined (or) with the video grid's
    /// touching blocks when <see cref="UseVideoNeighbors"/>; null when neither is set. Call after <see cref="Validate"/>.
    /// </summary>
    public HostTensor<bool>? ResolveNeighborMask()
    {
        if (!UseVideoNeighbors || VideoLayout is null) return NeighborMask;
        HostTensor<bool> video = VideoLayout.BlockNeighbors(QueryBlockSize, KeyBlockSize);
        if (NeighborMask is { } given)
        {
            Span<bool> joined = video.Span;
            ReadOnlySpan<bool> extra = given.Span;
            for (int n = 0; n < joined.Length; n++) joined[n] |= extra[n];
        }
        return video;
    }

    private static int CeilDiv(int a, int b) => (int)(((long)a + b - 1) / b);
}
