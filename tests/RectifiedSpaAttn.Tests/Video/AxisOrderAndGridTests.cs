using RectifiedSpaAttn.Video;

namespace RectifiedSpaAttn.Tests.Video;

public class AxisOrderAndGridTests
{
    [Theory]
    [InlineData("wht", VideoAxis.Width, VideoAxis.Height, VideoAxis.Time)]
    [InlineData("WTH", VideoAxis.Width, VideoAxis.Time, VideoAxis.Height)]
    [InlineData("hwt", VideoAxis.Height, VideoAxis.Width, VideoAxis.Time)]
    [InlineData("Htw", VideoAxis.Height, VideoAxis.Time, VideoAxis.Width)]
    [InlineData("twh", VideoAxis.Time, VideoAxis.Width, VideoAxis.Height)]
    [InlineData("thW", VideoAxis.Time, VideoAxis.Height, VideoAxis.Width)]
    public void ParsesEveryPermutationCaseInsensitively(string text, VideoAxis major, VideoAxis middle, VideoAxis minor)
    {
        AxisOrder order = AxisOrder.Parse(text);
        Assert.Equal((major, middle, minor), (order.Major, order.Middle, order.Minor));
        Assert.Equal(text.ToLowerInvariant(), order.ToString());
        Assert.Equal(order, new AxisOrder(major, middle, minor));
    }

    [Theory]
    [InlineData("")]
    [InlineData("wh")]
    [InlineData("whtt")]
    [InlineData("whh")]
    [InlineData("xyz")]
    [InlineData("w h")]
    public void RejectsAnythingElse(string text)
    {
        var ex = Assert.Throws<ArgumentException>(() => AxisOrder.Parse(text));
        Assert.Contains($"'{text}'", ex.Message);
        Assert.False(AxisOrder.TryParse(text, out _));
    }

    [Fact]
    public void NullAndRepeatedAxesAreRejected()
    {
        Assert.Throws<ArgumentNullException>(() => AxisOrder.Parse(null!));
        Assert.Throws<ArgumentException>(() => new AxisOrder(VideoAxis.Time, VideoAxis.Time, VideoAxis.Width));
    }

    [Fact]
    public void DefaultIsTheReferenceOrderAndAllHasSixDistinctOrders()
    {
        Assert.Equal("wht", default(AxisOrder).ToString());
        Assert.Equal(AxisOrder.Parse("wht"), AxisOrder.Default);
        Assert.Equal(6, AxisOrder.All.Distinct().Count());
    }

    [Fact]
    public void GridValidatesItsExtentsAndTokenCount()
    {
        Assert.ThrowsAny<ArgumentOutOfRangeException>(() => new VideoGrid(0, 1, 1));
        Assert.ThrowsAny<ArgumentOutOfRangeException>(() => new VideoGrid(1, -2, 1));
        Assert.ThrowsAny<ArgumentOutOfRangeException>(() => new VideoGrid(1, 1, 0));
        var ex = Assert.ThrowsAny<ArgumentOutOfRangeException>(() => new VideoGrid(2048, 2048, 1024));
        Assert.Contains("2048x2048x1024", ex.Message);
        Assert.Equal(int.MaxValue, new VideoGrid(1, 1, int.MaxValue).TokenCount);
    }

    [Fact]
    public void GridIndexesRowMajor()
    {
        var grid = new VideoGrid(3, 4, 5);
        Assert.Equal(60, grid.TokenCount);
        Assert.Equal(20, grid.FrameSize);
        Assert.Equal(2 * 20 + 3 * 5 + 4, grid.IndexOf(2, 3, 4));
        Assert.Equal((2, 3, 4), grid.CoordinatesOf(59));
        Assert.Throws<ArgumentOutOfRangeException>(() => grid.IndexOf(3, 0, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => grid.CoordinatesOf(60));
        Assert.Equal("3x4x5", grid.ToString());
        var (t, h, w) = grid;
        Assert.Equal((3, 4, 5), (t, h, w));
        Assert.Equal(new VideoGrid(3, 4, 5), grid);
    }
}
