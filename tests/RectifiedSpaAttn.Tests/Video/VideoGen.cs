using FsCheck;
using FsCheck.Fluent;
using RectifiedSpaAttn.Video;

namespace RectifiedSpaAttn.Tests.Video;

/// <summary>FsCheck generators for video grids and axis orders.</summary>
internal static class VideoGen
{
    public static Gen<AxisOrder> Order => Gen.Elements(AxisOrder.All.ToArray());

    /// <summary>Grids with every extent in [1, max].</summary>
    public static Gen<VideoGrid> Grid(int max) =>
        from t in Gen.Choose(1, max)
        from h in Gen.Choose(1, max)
        from w in Gen.Choose(1, max)
        select new VideoGrid(t, h, w);

    /// <summary>Grids whose extents are even (or 1), where the curve promises unit steps.</summary>
    public static Gen<VideoGrid> EvenGrid(int maxHalf) =>
        from t in Gen.Choose(1, maxHalf)
        from h in Gen.Choose(1, maxHalf)
        from w in Gen.Choose(1, maxHalf)
        select new VideoGrid(t == 1 ? 1 : 2 * (t - 1), 2 * h, 2 * w);
}
