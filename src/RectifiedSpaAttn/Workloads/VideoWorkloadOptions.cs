using RectifiedSpaAttn.Video;

namespace RectifiedSpaAttn.Workloads;

/// <summary>
/// Settings of <see cref="VideoWorkload.Generate"/>. The defaults give a 1 x 4 x 4096 x 64 workload (an 8 x 16 x 32
/// grid) whose attention is about as concentrated as a video diffusion transformer's.
/// </summary>
public sealed class VideoWorkloadOptions
{
    /// <summary>Seed; the same options give the same bits.</summary>
    public int Seed { get; init; } = 1;

    /// <summary>Batch size B.</summary>
    public int Batch { get; init; } = 1;

    /// <summary>Attention heads H. Head h follows one of four patterns in turn (see <see cref="VideoWorkload"/>).</summary>
    public int Heads { get; init; } = 4;

    /// <summary>The video latent grid; its tokens come first, in row-major order.</summary>
    public VideoGrid Grid { get; init; } = new(8, 16, 32);

    /// <summary>Head dimension D.</summary>
    public int HeadDim { get; init; } = 64;

    /// <summary>Text-token slots appended after the visual tokens (0 for none).</summary>
    public int TextTokens { get; init; }

    /// <summary>How many of the text slots are valid (the rest are padding); <see langword="null"/> means all.</summary>
    public int? ValidTextTokens { get; init; }

    /// <summary>
    /// Peak positional logit (after the 1/sqrt(D) scale): how much more a query favours a key at its own position than
    /// one far away in every axis, before noise. Larger is more concentrated. Default 12, which puts about 88% of each
    /// query block's attention in its top quarter of key blocks (block 128, Gilbert order) for the default grid.
    /// </summary>
    public double Sharpness { get; init; } = 12;

    /// <summary>Multiplies every head's attention and value length scales (in tokens). Larger is less local. Default 1.</summary>
    public double LengthScale { get; init; } = 1;

    /// <summary>Standard deviation of the independent per-element noise added to queries and keys, which makes the
    /// tokens of a block differ (and the pooled estimate imperfect). Default 0.3.</summary>
    public double ContentNoise { get; init; } = 0.3;

    /// <summary>Attention sinks per batch item: visual tokens whose keys every query favours. Default 4.</summary>
    public int SinkCount { get; init; } = 4;

    /// <summary>Logit bonus of a sink key over an ordinary key at the same distance. Default 4 (with the default
    /// grid, 2-6% of a head's attention goes to the four sinks).</summary>
    public double SinkStrength { get; init; } = 4;

    /// <summary>Logit bonus of valid text keys, which every visual query shares. Default 7 (with the default grid and
    /// 200 valid text tokens, 2% to 11% of a head's attention goes to text).</summary>
    public double TextStrength { get; init; } = 7;

    /// <summary>Standard deviation of the per-element value noise; the smooth part has unit mean square. Default 0.3.</summary>
    public double ValueNoise { get; init; } = 0.3;

    /// <summary>Tokens per sequence, S = visual + text.</summary>
    public int SequenceLength => checked(Grid.TokenCount + TextTokens);

    /// <summary>The number of valid text tokens (<see cref="ValidTextTokens"/> or all of <see cref="TextTokens"/>).</summary>
    public int ValidTextCount => ValidTextTokens ?? TextTokens;

    /// <summary>Checks every setting, naming the first bad one.</summary>
    /// <exception cref="ArgumentException">A setting is out of range.</exception>
    public void Validate()
    {
        if (Batch <= 0) throw new ArgumentOutOfRangeException(nameof(Batch), Batch, "Batch must be positive.");
        if (Heads <= 0) throw new ArgumentOutOfRangeException(nameof(Heads), Heads, "Heads must be positive.");
        if (HeadDim <= 0) throw new ArgumentOutOfRangeException(nameof(HeadDim), HeadDim, "HeadDim must be positive.");
        if (Grid.TokenCount == 0) throw new ArgumentException("Grid is the empty default value.", nameof(Grid));
        if (TextTokens < 0) throw new ArgumentOutOfRangeException(nameof(TextTokens), TextTokens, "TextTokens must not be negative.");
        if (ValidTextTokens is int valid && (valid < 0 || valid > TextTokens))
            throw new ArgumentOutOfRangeException(nameof(ValidTextTokens), valid, $"ValidTextTokens must be in [0, TextTokens = {TextTokens}].");
        if (SinkCount < 0 || SinkCount > Grid.TokenCount)
            throw new ArgumentOutOfRangeException(nameof(SinkCount), SinkCount, $"SinkCount must be in [0, {Grid.TokenCount}].");
        long elements = (long)Batch * Heads * ((long)Grid.TokenCount + TextTokens) * HeadDim;
        if (elements > Array.MaxLength)
            throw new ArgumentException($"A [{Batch}, {Heads}, {(long)Grid.TokenCount + TextTokens}, {HeadDim}] tensor has {elements} elements, more than an array holds.");
        CheckFinite(Sharpness, nameof(Sharpness), allowZero: true);
        CheckFinite(LengthScale, nameof(LengthScale), allowZero: false);
        CheckFinite(ContentNoise, nameof(ContentNoise), allowZero: true);
        CheckFinite(SinkStrength, nameof(SinkStrength), allowZero: true);
        CheckFinite(TextStrength, nameof(TextStrength), allowZero: true);
        CheckFinite(ValueNoise, nameof(ValueNoise), allowZero: true);
    }

    private static void CheckFinite(double value, string name, bool allowZero)
    {
        if (!double.IsFinite(value) || value < 0 || (!allowZero && value == 0))
            throw new ArgumentOutOfRangeException(name, value, $"{name} must be a finite {(allowZero ? "non-negative" : "positive")} number.");
    }
}
