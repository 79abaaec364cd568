using RectifiedSpaAttn.Numerics;
using RectifiedSpaAttn.Reference;
using RectifiedSpaAttn.Tensors;

namespace RectifiedSpaAttn.Tests.Reference;

/// <summary>Bad options and bad inputs are rejected with ArgumentExceptions whose messages name the problem.</summary>
public class ValidationTests
{
    private static HostTensor<float> Tensor(params int[] shape) => new(shape);

    public static TheoryData<string, string> BadOptions => new()
    {
        { "QueryBlockSize=0", "QueryBlockSize" },
        { "KeyBlockSize=-1", "KeyBlockSize" },
        { "DropRate=1.5", "DropRate" },
        { "DropRate=-0.1", "DropRate" },
        { "DropRate=NaN", "DropRate" },
        { "MinCriticalBlocks=-1", "MinCriticalBlocks" },
        { "Tau=NaN", "Tau" },
        { "Tau=-0.5", "Tau" },
        { "TextTokens=41", "TextTokens" },
        { "TextTokens=-1", "TextTokens" },
        { "ValidTextTokens=5", "ValidTextTokens" },
        { "ValidTextTokens=-1", "ValidTextTokens" },
        { "FirstFrameBlocks=-1", "FirstFrameBlocks" },
        { "FirstFrameBlocks=6", "FirstFrameBlocks" },
        { "CriticalMask=[2,3,4,5]", "[2, 3, 5, 5]" },
        { "CriticalMask=[2,3,5]", "CriticalMask" },
        { "NeighborMask=[5,4]", "[5, 5]" },
    };

    [Theory]
    [MemberData(nameof(BadOptions))]
    public void BadOptionsAreRejectedWithClearMessages(string setting, string mentioned)
    {
        // [B, H, S, D] = [2, 3, 40, 8] with blocks of 8: nQ = nK = 5 (4 text slots leave 36 visual tokens: still 5 blocks).
        RectifiedSpaAttnOptions options = Apply(setting);
        var ex = Assert.ThrowsAny<ArgumentException>(() => options.Validate(2, 3, 40));
        Assert.Contains(mentioned, ex.Message);
        Assert.ThrowsAny<ArgumentException>(() => ExactReference.Rectified(Tensor(2, 3, 40, 8), Tensor(2, 3, 40, 8), Tensor(2, 3, 40, 8), options));
    }

    [Fact]
    public void GoodOptionsPass()
    {
        var options = new RectifiedSpaAttnOptions
        {
            QueryBlockSize = 8, KeyBlockSize = 8, DropRate = 1, Tau = double.PositiveInfinity, TextTokens = 4, ValidTextTokens = 4,
            FirstFrameBlocks = 5, CriticalMask = new HostTensor<bool>(2, 3, 5, 5), NeighborMask = new HostTensor<bool>(5, 5),
        };
        options.Validate(2, 3, 40);
        new RectifiedSpaAttnOptions { TextTokens = 40, ValidTextTokens = 0, QueryBlockSize = 8, KeyBlockSize = 8 }.Validate(2, 3, 40);
    }

    [Fact]
    public void MismatchedShapesAreNamed()
    {
        var ex = Assert.ThrowsAny<ArgumentException>(() => ExactReference.DenseAttention(Tensor(1, 2, 16, 8), Tensor(1, 2, 16, 8), Tensor(1, 2, 17, 8)));
        Assert.Contains("[1, 2, 16, 8]", ex.Message);
        Assert.Contains("[1, 2, 17, 8]", ex.Message);
        ex = Assert.ThrowsAny<ArgumentException>(() => ExactReference.Rectified(Tensor(2, 16, 8), Tensor(2, 16, 8), Tensor(2, 16, 8), new RectifiedSpaAttnOptions()));
        Assert.Contains("rank 4", ex.Message);
        ex = Assert.ThrowsAny<ArgumentException>(() => ExactReference.DenseAttention(Tensor(1, 2, 0, 8), Tensor(1, 2, 0, 8), Tensor(1, 2, 0, 8)));
        Assert.Contains("empty", ex.Message);
        ex = Assert.ThrowsAny<ArgumentException>(() => ExactReference.DenseAttention(new HostTensor<int>(1, 1, 4, 4), Tensor(1, 1, 4, 4), Tensor(1, 1, 4, 4)));
        Assert.Contains("Int32", ex.Message);
        Assert.Throws<ArgumentNullException>(() => ExactReference.Rectified(Tensor(1, 1, 4, 4), Tensor(1, 1, 4, 4), Tensor(1, 1, 4, 4), null!));
    }

    [Fact]
    public void NonFiniteInputsAreLocated()
    {
        var q = Tensor(1, 2, 16, 8);
        var k = Tensor(1, 2, 16, 8);
        var v = new HostTensor<BFloat16>(1, 2, 16, 8);
        k[0, 1, 5, 3] = float.NaN;
        var ex = Assert.ThrowsAny<ArgumentException>(() => ExactReference.DenseAttention(q, k, v));
        Assert.Contains("k contains NaN at [0, 1, 5, 3]", ex.Message);
        k[0, 1, 5, 3] = 0;
        v[0, 0, 15, 7] = BFloat16.FromSingle(float.PositiveInfinity);
        ex = Assert.ThrowsAny<ArgumentException>(() => ExactReference.BlockSparse(q, k, v, new RectifiedSpaAttnOptions { QueryBlockSize = 4, KeyBlockSize = 4 }));
        Assert.Contains("v contains", ex.Message);
        Assert.Contains("[0, 0, 15, 7]", ex.Message);
    }

    [Fact]
    public void DenseTextArgumentsAreChecked()
    {
        Assert.ThrowsAny<ArgumentException>(() => ExactReference.DenseAttention(Tensor(1, 1, 8, 4), Tensor(1, 1, 8, 4), Tensor(1, 1, 8, 4), textTokens: 9));
        Assert.ThrowsAny<ArgumentException>(() => ExactReference.DenseAttention(Tensor(1, 1, 8, 4), Tensor(1, 1, 8, 4), Tensor(1, 1, 8, 4), textTokens: 2, validTextTokens: 3));
    }

    private static RectifiedSpaAttnOptions Apply(string setting)
    {
        string[] parts = setting.Split('=');
        var o = new RectifiedSpaAttnOptions { QueryBlockSize = 8, KeyBlockSize = 8, TextTokens = 4 };
        double number = parts[1].StartsWith('[') ? 0 : double.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture);
        int[] shape = parts[1].StartsWith('[') ? parts[1].Trim('[', ']').Split(',').Select(int.Parse).ToArray() : [];
        return parts[0] switch
        {
            "QueryBlockSize" => new RectifiedSpaAttnOptions { QueryBlockSize = (int)number, KeyBlockSize = 8 },
            "KeyBlockSize" => new RectifiedSpaAttnOptions { QueryBlockSize = 8, KeyBlockSize = (int)number },
            "DropRate" => new RectifiedSpaAttnOptions { QueryBlockSize = 8, KeyBlockSize = 8, DropRate = number },
            "MinCriticalBlocks" => new RectifiedSpaAttnOptions { QueryBlockSize = 8, KeyBlockSize = 8, MinCriticalBlocks = (int)number },
            "Tau" => new RectifiedSpaAttnOptions { QueryBlockSize = 8, KeyBlockSize = 8, Tau = number },
            "TextTokens" => new RectifiedSpaAttnOptions { QueryBlockSize = 8, KeyBlockSize = 8, TextTokens = (int)number },
            "ValidTextTokens" => new RectifiedSpaAttnOptions { QueryBlockSize = 8, KeyBlockSize = 8, TextTokens = 4, ValidTextTokens = (int)number },
            "FirstFrameBlocks" => new RectifiedSpaAttnOptions { QueryBlockSize = 8, KeyBlockSize = 8, FirstFrameBlocks = (int)number },
            "CriticalMask" => new RectifiedSpaAttnOptions { QueryBlockSize = 8, KeyBlockSize = 8, TextTokens = 4, CriticalMask = new HostTensor<bool>(shape) },
            "NeighborMask" => new RectifiedSpaAttnOptions { QueryBlockSize = 8, KeyBlockSize = 8, TextTokens = 4, NeighborMask = new HostTensor<bool>(shape) },
            _ => o,
        };
    }
}
