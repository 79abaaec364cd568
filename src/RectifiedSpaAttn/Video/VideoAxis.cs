namespace RectifiedSpaAttn.Video;

/// <summary>An axis of the video latent grid.</summary>
public enum VideoAxis
{
    /// <summary>The frame axis (T), written <c>t</c> in an <see cref="AxisOrder"/>.</summary>
    Time,

    /// <summary>The row axis (H), written <c>h</c>.</summary>
    Height,

    /// <summary>The column axis (W), written <c>w</c>.</summary>
    Width,
}
