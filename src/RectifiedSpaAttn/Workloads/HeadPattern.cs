namespace RectifiedSpaAttn.Workloads;

/// <summary>
/// The attention pattern of one generated head: Gaussian-like locality with per-axis length scales in tokens, as
/// the heads of video diffusion transformers show (local, within-frame, across-frame and broad heads).
/// </summary>
internal readonly record struct HeadPattern(string Name, double Time, double Height, double Width)
{
    // Head h uses Patterns[h % 4]; length scales are in tokens, before the per-head jitter and the LengthScale knob.
    private static readonly HeadPattern[] Patterns =
    [
        new("local", 1.0, 1.5, 2.0),
        new("spatial", 0.6, 3.0, 5.0),
        new("temporal", 4.0, 1.0, 1.5),
        new("broad", 2.0, 4.0, 6.0),
    ];

    public static HeadPattern For(int head) => Patterns[head % Patterns.Length];

    public HeadPattern Scaled(double factor) => this with { Time = Time * factor, Height = Height * factor, Width = Width * factor };
}
