using System.Numerics.Tensors;
using RectifiedSpaAttn.Numerics;
using RectifiedSpaAttn.Tensors;

namespace RectifiedSpaAttn.Tests.Tensors;

public class HostTensorTests
{
    [Fact]
    public void IndexingRowsAndOffsetsAreRowMajor()
    {
        var t = new HostTensor<int>(2, 3, 4);
        for (int i = 0; i < t.Length; i++) t.Span[i] = i;
        Assert.Equal(1 * 12 + 2 * 4 + 3, t[1, 2, 3]);
        Assert.Equal(12 + 4, t.Offset([1, 1, 0]));
        Assert.Equal([12, 13, 14, 15], t.Row(1, 0).ToArray());
        Assert.Equal(12, t.Row(1).Length);
        Assert.Equal("[2, 3, 4]", t.ShapeText);
        Assert.Equal(24 * 4, t.ByteLength);
    }

    [Fact]
    public void BadShapesAndIndicesAreRejected()
    {
        Assert.ThrowsAny<ArgumentException>(() => new HostTensor<float>(2, -1));
        Assert.ThrowsAny<ArgumentException>(() => new HostTensor<float>(new float[5], 2, 3));
        var t = new HostTensor<float>(2, 3);
        Assert.ThrowsAny<ArgumentException>(() => t.Offset([2, 0]));
        Assert.ThrowsAny<ArgumentException>(() => t.Offset([0]));
        Assert.ThrowsAny<ArgumentException>(() => t.Reshape(4, 2));
    }

    [Fact]
    public void SystemNumericsTensorsInterop()
    {
        var random = new Random();
        var t = new HostTensor<float>(3, 5);
        foreach (ref float x in t.Span) x = random.NextSingle() + 0.5f;

        Tensor<float> tensor = t.ToTensor();
        Assert.Equal([3, 5], tensor.Lengths.ToArray().Select(l => (int)l).ToArray());
        Assert.Equal(t[2, 4], tensor[2, 4]);
        HostTensor<float> back = HostTensor<float>.FromTensor(tensor);
        Assert.Equal(t.Span.ToArray(), back.Span.ToArray());

        TensorSpan<float> span = t.AsTensorSpan();
        span[1, 1] = -7f; // a view, not a copy
        Assert.Equal(-7f, t[1, 1]);
    }

    [Fact]
    public void ConversionsKeepShapeAndValues()
    {
        var t = new HostTensor<float>([1.5f, -2.25f, 3e38f, 0f], 2, 2);
        HostTensor<double> d = t.ToDouble();
        Assert.Equal([2, 2], d.Shape.ToArray());
        Assert.Equal(-2.25, d[0, 1]);
        HostTensor<BFloat16> b = t.ConvertTo<BFloat16>();
        Assert.Equal(ElementType.BFloat16, b.ElementType);
        Assert.Equal(1.5f, b[0, 0].ToSingle());
        HostTensor<bool> z = t.ConvertTo<bool>();
        Assert.Equal([true, true, true, false], z.Span.ToArray());
        var clone = t.Clone();
        clone.Span[0] = 9;
        Assert.Equal(1.5f, t.Span[0]);
    }
}
