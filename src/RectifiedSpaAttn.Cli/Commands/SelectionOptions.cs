using RectifiedSpaAttn.Cli.Arguments;
using RectifiedSpaAttn.Tensors;

namespace RectifiedSpaAttn.Cli.Commands;

/// <summary>
/// The sparsity options shared by <c>demo</c> and <c>run</c>, read from the command line or, for options not given
/// there, from the input file's metadata (keys as the reference pipeline writes them), with the defaults that apply
/// when neither says otherwise. Values from either place pass the same checks, and every error names where the value
/// came from (<c>--block-size</c> or <c>__metadata__.block_size</c>), never the library's property names.
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

    /// <summary>Where each option's value came from, by option name without dashes: <c>--tau</c> or <c>__metadata__.p</c>.</summary>
    public IReadOnlyDictionary<string, string> Sources { get; private init; } = new Dictionary<string, string>();

    /// <summary>Reads the options; <paramref name="metadata"/> (the input file's) supplies values not given as flags.</summary>
    /// <exception cref="UsageException">A flag is malformed or out of range.</exception>
    /// <exception cref="InvalidDataException">A metadata value is malformed or out of range (the message names the field).</exception>
    public static SelectionOptions Read(ParsedArguments args, IReadOnlyDictionary<string, string>? metadata, Action<string>? noteDefault = null)
    {
        var values = new SourcedValues(args, metadata, noteDefault);
        double? dropRate = values.Double("drop-rate", metadataKey: null);
        int? topK = dropRate is null ? values.Int("top-k", "top_k", min: 0) : args.GetInt("top-k", min: 0);
        int? blockSize = values.Int("block-size", "block_size", min: 1);
        double? tau = values.Double("tau", "p");
        int? firstFrame = values.Int("first-frame-blocks", "ff", min: 0);
        int textTokens = values.Int("text-tokens", metadataKey: null, min: 0) ?? 0;
        int validText = values.Int("valid-text-tokens", metadataKey: null, min: 0) ?? textTokens;

        if (dropRate is not null && topK is not null) throw new UsageException("give either --drop-rate or --top-k, not both");
        if (dropRate is < 0 or > 1) throw new UsageException($"--drop-rate must be in [0, 1], got {dropRate}");
        if (tau is < 0) throw Refuse(values.Sources.GetValueOrDefault("tau"), "tau", $"must not be negative, got {tau}");
        if (validText > textTokens) throw new UsageException($"--valid-text-tokens ({validText}) exceeds --text-tokens ({textTokens})");

        if (dropRate is null && topK is null) dropRate = 0.75;
        return new SelectionOptions(blockSize ?? 128, dropRate, topK, tau ?? 0.3, firstFrame ?? 0, textTokens, validText) { Sources = values.Sources };
    }

    /// <summary>
    /// Checks the options against q's shape <c>[B, H, S, D]</c> and a supplied mask, before anything is computed, so a
    /// value that does not fit the input is reported under the name the user gave it.
    /// </summary>
    /// <exception cref="UsageException">A flag does not fit the input.</exception>
    /// <exception cref="InvalidDataException">A metadata value or the mask does not fit the input.</exception>
    public void CheckAgainst(ReadOnlySpan<int> qShape, HostTensor<bool>? mask, string? maskSpec)
    {
        if (qShape.Length != 4) return; // the library reports a wrong rank, naming q
        int sequence = qShape[2];
        if (TextTokens > sequence)
            throw new UsageException($"--text-tokens ({TextTokens}) exceeds the input's {sequence} tokens");
        int visual = sequence - TextTokens;
        int blocks = KeyBlocks(sequence);
        if (FirstFrameBlocks > blocks)
            throw Refuse(Sources.GetValueOrDefault("first-frame-blocks"), "first-frame-blocks", $"({FirstFrameBlocks}) exceeds the {blocks} key blocks of {visual} visual tokens in blocks of {BlockSize}");
        if (mask is not null && !mask.Shape.SequenceEqual([qShape[0], qShape[1], blocks, blocks]))
            throw new InvalidDataException(
                $"--mask '{maskSpec}' has shape {mask.ShapeText}; expected [{qShape[0]}, {qShape[1]}, {blocks}, {blocks}] " +
                $"([B, H, nQ, nK] for {visual} visual tokens in blocks of {BlockSize} ({Source("block-size")}))");
    }

    /// <summary>Key (and query) blocks per row for <paramref name="sequenceLength"/> tokens, text slots excluded.</summary>
    public int KeyBlocks(int sequenceLength) => (int)(((long)Math.Max(sequenceLength - TextTokens, 0) + BlockSize - 1) / BlockSize);

    /// <summary>How the user set <paramref name="option"/>: <c>--block-size</c>, <c>__metadata__.block_size</c>, or "the default --block-size".</summary>
    public string Source(string option) => Sources.TryGetValue(option, out string? source) ? source : $"the default --{option}";

    private const string MetadataPrefix = "__metadata__.";

    /// <summary>The error for <paramref name="option"/>'s value: bad data when it came from the metadata, a usage error when from a flag.</summary>
    private static Exception Refuse(string? source, string option, string problem) =>
        source is not null && source.StartsWith(MetadataPrefix, StringComparison.Ordinal)
            ? new InvalidDataException($"{source} {problem}; give --{option} to override it")
            : new UsageException($"--{option} {problem}");

    /// <summary>A one-line summary for progress output.</summary>
    public override string ToString() =>
        $"block {BlockSize}, {(TopK is int k ? $"top-k {k}" : $"drop rate {DropRate}")}, tau {Tau}, first-frame blocks {FirstFrameBlocks}" +
        (TextTokens > 0 ? $", text tokens {ValidTextTokens}/{TextTokens}" : "");

    /// <summary>Reads each option from its flag or else its metadata key, with one parser for both, and records which.</summary>
    private sealed class SourcedValues(ParsedArguments args, IReadOnlyDictionary<string, string>? metadata, Action<string>? note)
    {
        public Dictionary<string, string> Sources { get; } = new(StringComparer.Ordinal);

        public int? Int(string option, string? metadataKey, int min)
        {
            if (args.GetInt(option, min) is int given) return Given(option, given);
            if (MetadataText(metadataKey) is not string text) return null;
            if (ValueText.TryParseInt(text, min, out int value) is string problem) throw Refuse(MetadataPrefix + metadataKey, option, problem);
            return FromMetadata(option, metadataKey!, text, value);
        }

        public double? Double(string option, string? metadataKey)
        {
            if (args.GetDouble(option) is double given) return Given(option, given);
            if (MetadataText(metadataKey) is not string text) return null;
            if (ValueText.TryParseDouble(text, out double value) is string problem) throw Refuse(MetadataPrefix + metadataKey, option, problem);
            return FromMetadata(option, metadataKey!, text, value);
        }

        private T Given<T>(string option, T value)
        {
            Sources[option] = "--" + option;
            return value;
        }

        private T FromMetadata<T>(string option, string key, string text, T value)
        {
            Sources[option] = MetadataPrefix + key;
            note?.Invoke($"--{option} {text} (from the input file's metadata, {MetadataPrefix}{key})");
            return value;
        }

        private string? MetadataText(string? key) =>
            key is not null && metadata is not null && metadata.TryGetValue(key, out string? text) ? text : null;
    }
}
