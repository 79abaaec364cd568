namespace RectifiedSpaAttn.Reference;

/// <summary>
/// Where the tokens of one sequence lie: <see cref="VisualTokens"/> visual tokens cut into query and key blocks (the last
/// block of each may be partial), then <see cref="TextTokens"/> text slots of which the first <see cref="ValidTextTokens"/>
/// are valid.
/// </summary>
public sealed record BlockLayout
{
    /// <summary>Creates a layout; see <see cref="For"/> to derive one from options.</summary>
    /// <exception cref="ArgumentException">A count is out of range.</exception>
    public BlockLayout(int sequenceLength, int textTokens, int validTextTokens, int queryBlockSize, int keyBlockSize)
    {
        if (sequenceLength < 0) throw new ArgumentException($"The sequence length must not be negative, got {sequenceLength}.", nameof(sequenceLength));
        if (textTokens < 0 || textTokens > sequenceLength)
            throw new ArgumentException($"The text token count must be in [0, {sequenceLength}], got {textTokens}.", nameof(textTokens));
        if (validTextTokens < 0 || validTextTokens > textTokens)
            throw new ArgumentException($"The valid text token count must be in [0, {textTokens}], got {validTextTokens}.", nameof(validTextTokens));
        if (queryBlockSize < 1) throw new ArgumentException($"The query block size must be at least 1, got {queryBlockSize}.", nameof(queryBlockSize));
        if (keyBlockSize < 1) throw new ArgumentException($"The key block size must be at least 1, got {keyBlockSize}.", nameof(keyBlockSize));
        SequenceLength = sequenceLength;
        TextTokens = textTokens;
        ValidTextTokens = validTextTokens;
        QueryBlockSize = queryBlockSize;
        KeyBlockSize = keyBlockSize;
    }

    /// <summary>The layout of a sequence of <paramref name="sequenceLength"/> tokens under <paramref name="options"/>.</summary>
    public static BlockLayout For(int sequenceLength, RectifiedSpaAttnOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return new BlockLayout(sequenceLength, options.TextTokens, options.EffectiveValidTextTokens, options.QueryBlockSize, options.KeyBlockSize);
    }

    /// <summary>All tokens, <c>S</c>.</summary>
    public int SequenceLength { get; }

    /// <summary>Text slots at the end of the sequence, <c>S_txt</c>.</summary>
    public int TextTokens { get; }

    /// <summary>Valid text slots, <c>L_txt</c>: tokens <c>[VisualTokens, VisualTokens + ValidTextTokens)</c>.</summary>
    public int ValidTextTokens { get; }

    /// <summary>Query block size <c>M</c>.</summary>
    public int QueryBlockSize { get; }

    /// <summary>Key block size <c>N</c>.</summary>
    public int KeyBlockSize { get; }

    /// <summary>Visual tokens, <c>S_vis = S - S_txt</c>: tokens <c>[0, VisualTokens)</c>.</summary>
    public int VisualTokens => SequenceLength - TextTokens;

    /// <summary>Index of the first text slot (equal to <see cref="VisualTokens"/>).</summary>
    public int TextStart => VisualTokens;

    /// <summary>Keys that may be attended: every visual token and the valid text slots.</summary>
    public int ValidKeys => VisualTokens + ValidTextTokens;

    /// <summary>Query blocks, <c>nQ = ceil(S_vis / M)</c>.</summary>
    public int QueryBlocks => CeilDiv(VisualTokens, QueryBlockSize);

    /// <summary>Key blocks, <c>nK = ceil(S_vis / N)</c>.</summary>
    public int KeyBlocks => CeilDiv(VisualTokens, KeyBlockSize);

    /// <summary>
    /// Whether a selection row carries the extra text entry (index <c>nK</c>) holding the text mass: true when valid text
    /// keys exist. (With no valid text the entry would hold 0 and sort last, so leaving it out changes no selection.)
    /// </summary>
    public bool HasTextEntry => ValidTextTokens > 0;

    /// <summary>First token of query block <paramref name="i"/>.</summary>
    public int QueryBlockStart(int i) => i * QueryBlockSize;

    /// <summary>Tokens in query block <paramref name="i"/>, <c>m_i</c> (less than <c>M</c> for a partial last block).</summary>
    public int QueryBlockLength(int i) => Math.Min(QueryBlockSize, VisualTokens - i * QueryBlockSize);

    /// <summary>First token of key block <paramref name="j"/>.</summary>
    public int KeyBlockStart(int j) => j * KeyBlockSize;

    /// <summary>Tokens in key block <paramref name="j"/>, <c>n_j</c> (less than <c>N</c> for a partial last block).</summary>
    public int KeyBlockLength(int j) => Math.Min(KeyBlockSize, VisualTokens - j * KeyBlockSize);

    private static int CeilDiv(int a, int b) => (int)(((long)a + b - 1) / b);
}
