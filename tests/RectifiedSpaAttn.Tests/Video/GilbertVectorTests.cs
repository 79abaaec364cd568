using RectifiedSpaAttn.Video;

namespace RectifiedSpaAttn.Tests.Video;

public class GilbertVectorTests
{
    public static TheoryData<int> Cases => [0, 1, 2, 3, 4];

    [Fact]
    public void TheSharedFileHasFiveCases() => Assert.Equal(5, GilbertVector.Count);

    [Theory]
    [MemberData(nameof(Cases))]
    public void CurvePositionsMatchTheVectorsExactly(int index)
    {
        GilbertVector v = GilbertVector.Get(index);
        // A missing axis order means the reference's default.
        AxisOrder order = v.AxisOrder is null ? AxisOrder.Default : AxisOrder.Parse(v.AxisOrder);

        int[] positions = GilbertCurve.CurvePositions(new VideoGrid(v.T, v.H, v.W), order);

        Assert.Equal(v.LinearToCurve, positions);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void LayoutArraysMatchTheVectorsExactly(int index)
    {
        GilbertVector v = GilbertVector.Get(index);
        var layout = new VideoLayout(new VideoGrid(v.T, v.H, v.W), v.AxisOrder is null ? AxisOrder.Default : AxisOrder.Parse(v.AxisOrder));

        Assert.Equal(v.LinearToCurve, layout.CurvePositions.ToArray());
        for (int c = 0; c < layout.TokenCount; c++)
            Assert.Equal(c, v.LinearToCurve[layout.TokensAlongCurve[c]]);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void BlockNeighborsMatchTheVectorsExactly(int index)
    {
        GilbertVector v = GilbertVector.Get(index);
        var layout = new VideoLayout(new VideoGrid(v.T, v.H, v.W), v.AxisOrder is null ? AxisOrder.Default : AxisOrder.Parse(v.AxisOrder));

        var mask = layout.BlockNeighbors(v.BlockSize, v.BlockSize);

        int blocks = v.BlockNeighbors.Length;
        Assert.Equal([blocks, blocks], mask.Shape.ToArray());
        for (int i = 0; i < blocks; i++)
        {
            int[] actual = [.. Enumerable.Range(0, blocks).Where(j => mask[i, j])];
            Assert.Equal(v.BlockNeighbors[i], actual);
        }
    }
}
