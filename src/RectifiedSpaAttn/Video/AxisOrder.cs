namespace RectifiedSpaAttn.Video;

/// <summary>
/// The order in which the Gilbert curve treats the three grid axes, major first: the curve's first (longest-run)
/// direction is the <see cref="Major"/> axis. Written as three letters, e.g. <c>wht</c> (width major, then height,
/// then time), the order the reference pipeline uses and the <see langword="default"/> value of this type.
/// </summary>
public readonly record struct AxisOrder
{
    // All six permutations; index 0 is "wht" so that default(AxisOrder) is the reference's order.
    private static readonly VideoAxis[][] Permutations =
    [
        [VideoAxis.Width, VideoAxis.Height, VideoAxis.Time],
        [VideoAxis.Width, VideoAxis.Time, VideoAxis.Height],
        [VideoAxis.Height, VideoAxis.Width, VideoAxis.Time],
        [VideoAxis.Height, VideoAxis.Time, VideoAxis.Width],
        [VideoAxis.Time, VideoAxis.Width, VideoAxis.Height],
        [VideoAxis.Time, VideoAxis.Height, VideoAxis.Width],
    ];

    private readonly byte _code;

    /// <summary>Creates an order from three distinct axes, major first.</summary>
    /// <exception cref="ArgumentException">The axes are not a permutation of time, height and width.</exception>
    public AxisOrder(VideoAxis major, VideoAxis middle, VideoAxis minor)
    {
        for (int i = 0; i < Permutations.Length; i++)
        {
            VideoAxis[] p = Permutations[i];
            if (p[0] == major && p[1] == middle && p[2] == minor)
            {
                _code = (byte)i;
                return;
            }
        }
        throw new ArgumentException($"Axis order ({major}, {middle}, {minor}) must name time, height and width once each.", nameof(major));
    }

    /// <summary>The reference pipeline's order, <c>wht</c>: width major, then height, then time.</summary>
    public static AxisOrder Default => default;

    /// <summary>All six orders.</summary>
    public static IReadOnlyList<AxisOrder> All { get; } = [.. Enumerable.Range(0, Permutations.Length).Select(i => FromCode(i))];

    /// <summary>The curve's major axis (the first letter).</summary>
    public VideoAxis Major => Permutations[_code][0];

    /// <summary>The second axis.</summary>
    public VideoAxis Middle => Permutations[_code][1];

    /// <summary>The minor axis (the last letter).</summary>
    public VideoAxis Minor => Permutations[_code][2];

    /// <summary>The axes, major first.</summary>
    public ReadOnlySpan<VideoAxis> Axes => Permutations[_code];

    /// <summary>Parses three letters naming each of <c>w</c>, <c>h</c>, <c>t</c> once (case-insensitive), major first.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="text"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="text"/> is not such a permutation.</exception>
    public static AxisOrder Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return TryParse(text, out AxisOrder order)
            ? order
            : throw new ArgumentException($"Axis order '{text}' is not a permutation of the letters w, h and t (e.g. 'wht').", nameof(text));
    }

    /// <summary>Parses like <see cref="Parse"/>, returning <see langword="false"/> instead of throwing.</summary>
    public static bool TryParse(string? text, out AxisOrder order)
    {
        order = default;
        if (text is null || text.Length != 3) return false;
        Span<VideoAxis> axes = stackalloc VideoAxis[3];
        for (int i = 0; i < 3; i++)
        {
            switch (char.ToLowerInvariant(text[i]))
            {
                case 'w': axes[i] = VideoAxis.Width; break;
                case 'h': axes[i] = VideoAxis.Height; break;
                case 't': axes[i] = VideoAxis.Time; break;
                default: return false;
            }
        }
        if (axes[0] == axes[1] || axes[0] == axes[2] || axes[1] == axes[2]) return false;
        order = new AxisOrder(axes[0], axes[1], axes[2]);
        return true;
    }

    /// <summary>The three letters, major first, e.g. <c>wht</c>.</summary>
    public override string ToString() => string.Concat(Permutations[_code].Select(Letter));

    private static AxisOrder FromCode(int code)
    {
        VideoAxis[] p = Permutations[code];
        return new AxisOrder(p[0], p[1], p[2]);
    }

    private static char Letter(VideoAxis axis) => axis switch
    {
        VideoAxis.Time => 't',
        VideoAxis.Height => 'h',
        _ => 'w',
    };
}
