namespace RectifiedSpaAttn.Workloads;

/// <summary>
/// The attention pattern of one generated head. The positional logit is a sum over the three axes,
/// <c>Sharpness * (ShareT * kt(dt) + ShareY * ky(dy) + ShareX * kx(dx))</c>, where each <c>k</c> is a Gaussian-like
/// bump of the given length scale (in tokens) that is 1 at distance 0. The four patterns mimic the heads of video
/// diffusion transformers: local, within-frame (spatial), same-place-across-frames (temporal) and broad.
/// </summary>
internal readonly record struct HeadPattern(string Name, double ShareT, double ShareY, double ShareX, double LengthT, double LengthY, double LengthX)
{
    private static readonly HeadPattern[] Patterns =
    [
        new("local", 0.34, 0.33, 0.33, 1.0, 1.5, 2.0),
        new("spatial", 0.50, 0.25, 0.25, 0.7, 3.0, 4.0),
        new("temporal", 0.10, 0.45, 0.45, 3.0, 1.0, 1.5),
        new("broad", 0.34, 0.33, 0.33, 2.0, 4.0, 6.0),
    ];

    /// <summary>Head h uses the patterns in turn.</summary>
    public static HeadPattern For(int head) => Patterns[head % Patterns.Length];

    public double Share(int axis) => axis switch { 0 => ShareT, 1 => ShareY, _ => ShareX };

    public double Length(int axis) => axis switch { 0 => LengthT, 1 => LengthY, _ => LengthX };
}
