namespace RectifiedSpaAttn.Video;

/// <summary>
/// The latent grid of a video: <see cref="Frames"/> x <see cref="Height"/> x <see cref="Width"/> tokens, stored
/// row-major (token index <c>t * Height * Width + y * Width + x</c>).
/// </summary>
public readonly record struct VideoGrid
{
    /// <summary>Creates a grid; every extent must be positive and the token count must fit in an <see cref="int"/>.</summary>
    /// <param name="frames">Latent frames T.</param>
    /// <param name="height">Latent height H (rows).</param>
    /// <param name="width">Latent width W (columns).</param>
    /// <exception cref="ArgumentOutOfRangeException">An extent is not positive, or T * H * W exceeds <see cref="int.MaxValue"/>.</exception>
    public VideoGrid(int frames, int height, int width)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(frames);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(height);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        long count = (long)frames * height * width; // cannot overflow a long: each factor is below 2^31
        if (count > int.MaxValue)
            throw new ArgumentOutOfRangeException(nameof(frames), $"A {frames}x{height}x{width} grid has {count} tokens, more than {int.MaxValue}.");
        Frames = frames;
        Height = height;
        Width = width;
    }

    /// <summary>Latent frames T.</summary>
    public int Frames { get; }

    /// <summary>Latent height H (rows).</summary>
    public int Height { get; }

    /// <summary>Latent width W (columns).</summary>
    public int Width { get; }

    /// <summary>Number of tokens, T * H * W (validated at construction not to overflow).</summary>
    public int TokenCount => Frames * Height * Width;

    /// <summary>Tokens per frame, H * W.</summary>
    public int FrameSize => Height * Width;

    /// <summary>The extent along <paramref name="axis"/>.</summary>
    public int Extent(VideoAxis axis) => axis switch
    {
        VideoAxis.Time => Frames,
        VideoAxis.Height => Height,
        VideoAxis.Width => Width,
        _ => throw new ArgumentOutOfRangeException(nameof(axis), axis, "Not a video axis."),
    };

    /// <summary>The row-major token index of frame <paramref name="t"/>, row <paramref name="y"/>, column <paramref name="x"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A coordinate lies outside the grid.</exception>
    public int IndexOf(int t, int y, int x)
    {
        if ((uint)t >= (uint)Frames || (uint)y >= (uint)Height || (uint)x >= (uint)Width)
            throw new ArgumentOutOfRangeException(nameof(t), $"Coordinate (t={t}, y={y}, x={x}) lies outside the {this} grid.");
        return (t * Height + y) * Width + x;
    }

    /// <summary>The (frame, row, column) of the row-major token index <paramref name="index"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="index"/> is not in [0, <see cref="TokenCount"/>).</exception>
    public (int T, int Y, int X) CoordinatesOf(int index)
    {
        if ((uint)index >= (uint)TokenCount)
            throw new ArgumentOutOfRangeException(nameof(index), index, $"Token index outside the {this} grid ({TokenCount} tokens).");
        int x = index % Width;
        int rest = index / Width;
        return (rest / Height, rest % Height, x);
    }

    /// <summary>Deconstructs the grid into its extents, as for a positional record.</summary>
    public void Deconstruct(out int frames, out int height, out int width)
    {
        frames = Frames;
        height = Height;
        width = Width;
    }

    /// <summary>The grid as <c>TxHxW</c>, e.g. <c>8x16x32</c>.</summary>
    public override string ToString() => $"{Frames}x{Height}x{Width}";
}
