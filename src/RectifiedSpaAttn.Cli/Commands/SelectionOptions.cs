using RectifiedSpaAttn.Cli.Arguments;

namespace RectifiedSpaAttn.Cli.Commands;

/// <summary>
/// The sparsity options shared by <c>demo</c> and <c>run</c>, read from the command line with the defaults that
/// apply when neither the command line nor the input file's metadata says otherwise.
/// </summary>
internal sealed record SelectionOptions(int BlockSize, double? DropRate, int? TopK, double Tau, int FirstFrameBlocks, int TextTokens, int ValidTextTokens)
{
    public const string Help =
        """
          --block-size N           query and key block size in tokens (default 128; 64 also common)
          --drop-rate R            fraction of key blocks that may be dropped: k_min = floor((1-R) * nK) (default 0.75)
          --top-k K                minimum number of critical key blocks per row (instead of --drop-rate)
          --tau T                  keep threshold on the cumulative block mass (default 0.3)
          --first-frame-blocks F   the first F key blocks are critical for the first F query blocks (default 0)
          --text-tokens N          the last N tokens are text slots (default 0)
          --valid-text-tokens L    of which the first L are valid (default N)
        """;

    /// <summary>Reads the options; <paramref name="metadata"/> supplies defaults (keys as the reference pipeline writes them).</summary>
    public static SelectionOptions Read(ParsedArguments args, IReadOnlyDictionary<string, string>? metadata, Action<string>? noteDefault = null)
    {
        int? blockSize = args.GetInt("block-size", min: 1);
        double? dropRate = args.GetDouble("drop-rate");
        int? topK = args.GetInt("top-k", min: 0);
        double? tau = args.GetDouble("tau");
        int? firstFrame = args.GetInt("first-frame-blocks", min: 0);
        int textTokens = args.GetInt("text-tokens", min: 0) ?? 0;
        int validText = args.GetInt("valid-text-tokens", min: 0) ?? textTokens;

        if (dropRate is not null && topK is not null) throw new UsageException("give either --drop-rate or --top-k, not both");
        if (dropRate is < 0 or > 1) throw new UsageException($"--drop-rate must be in [0, 1], got {dropRate}");
        if (tau is < 0) throw new UsageException($"--tau must not be negative, got {tau}");
        if (validText > textTokens) throw new UsageException($"--valid-text-tokens ({validText}) exceeds --text-tokens ({textTokens})");

        if (metadata is not null)
        {
            blockSize ??= FromMetadata(metadata, "block_size", int.Parse, "block size", noteDefault);
            if (dropRate is null) topK ??= FromMetadata(metadata, "top_k", int.Parse, "top-k", noteDefault);
            tau ??= FromMetadata(metadata, "p", double.Parse, "tau", noteDefault);
            firstFrame ??= FromMetadata(metadata, "ff", int.Parse, "first-frame blocks", noteDefault);
        }
        if (dropRate is null && topK is null) dropRate = 0.75;
        return new SelectionOptions(blockSize ?? 128, dropRate, topK, tau ?? 0.3, firstFrame ?? 0, textTokens, validText);
    }

    private static T? FromMetadata<T>(IReadOnlyDictionary<string, string> metadata, string key, Func<string, IFormatProvider, T> parse, string what, Action<string>? note)
        where T : struct
    {
        if (!metadata.TryGetValue(key, out string? text)) return null;
        try
        {
            T value = parse(text, System.Globalization.CultureInfo.InvariantCulture);
            note?.Invoke($"{what} {text} (from the input file's metadata '{key}')");
            return value;
        }
        catch (FormatException)
        {
            return null; // Metadata is advisory; an unparsable entry is ignored and the usual default applies.
        }
    }

    /// <summary>A one-line summary for progress output.</summary>
    public override string ToString() =>
        $"block {BlockSize}, {(TopK is int k ? $"top-k {k}" : $"drop rate {DropRate}")}, tau {Tau}, first-frame blocks {FirstFrameBlocks}" +
        (TextTokens > 0 ? $", text tokens {ValidTextTokens}/{TextTokens}" : "");
}
