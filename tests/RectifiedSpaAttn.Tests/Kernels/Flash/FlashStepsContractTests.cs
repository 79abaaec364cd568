using RectifiedSpaAttn.Compute;
using RectifiedSpaAttn.Compute.Cpu;
using RectifiedSpaAttn.Kernels.Attention;
using RectifiedSpaAttn.Kernels.Attention.Flash;
using RectifiedSpaAttn.Kernels.Layout;
using RectifiedSpaAttn.Numerics;

namespace RectifiedSpaAttn.Tests.Kernels.Flash;

/// <summary>What FlashSteps promises before any launch: the built combinations, and refusals of arguments it cannot serve.</summary>
public sealed class FlashStepsContractTests
{
    [Theory]
    [InlineData(typeof(float), 64, 64, 64, true)]
    [InlineData(typeof(Half), 128, 128, 128, true)]
    [InlineData(typeof(BFloat16), 128, 64, 128, true)]
    [InlineData(typeof(float), 64, 100, 40, true)]
    [InlineData(typeof(float), 96, 64, 64, false)]
    [InlineData(typeof(double), 64, 64, 64, false)]
    [InlineData(typeof(float), 64, 0, 64, false)]
    public void IsSupportedNamesTheBuiltCombinations(Type type, int headDim, int queryBlock, int keyBlock, bool expected)
    {
        Assert.Equal(expected, FlashSteps.IsSupported(type, headDim, queryBlock, keyBlock));
        if (expected)
        {
            // What IsSupported accepts must have a variant to launch, on OpenCL too.
            Assert.Null(FlashAttentionKernels.DenseKernel.GetVariant(type, headDim).OpenCLUnsupportedReason);
            Assert.Null(FlashAttentionKernels.SparseKernel.GetVariant(type, headDim).OpenCLUnsupportedReason);
        }
    }

    [Fact]
    public void EveryLayoutVariantRunsOnOpenCL()
    {
        foreach (Type type in new[] { typeof(float), typeof(Half), typeof(BFloat16) })
            Assert.Null(LayoutKernels.PermuteTokensKernel.GetVariant(type).OpenCLUnsupportedReason);
    }

    [Fact]
    public void AnUnbuiltHeadDimIsRefusedWithTheBuiltList()
    {
        var shape = new AttentionShape(1, 1, 64, 96, 0, 0, 64, 64);
        using var acc = new CpuAccelerator();
        using var buffer = acc.Allocate<float>(shape.TokenElements);
        var e = Assert.Throws<NotSupportedException>(() =>
            FlashSteps.DenseAttention(acc, shape, buffer.View, buffer.View, buffer.View, buffer.View, 0, 64));
        Assert.Contains(FlashSteps.DescribeSupported(), e.Message);
        Assert.Contains("128", FlashSteps.DescribeSupported());
    }

    [Fact]
    public void ARowRangeOutsideTheSequenceIsRefused()
    {
        var shape = new AttentionShape(1, 1, 64, 64, 0, 0, 64, 64);
        using var acc = new CpuAccelerator();
        using var buffer = acc.Allocate<float>(shape.TokenElements);
        Assert.Throws<ArgumentOutOfRangeException>(() =>
            FlashSteps.DenseAttention(acc, shape, buffer.View, buffer.View, buffer.View, buffer.View, 10, 60));
    }

    [Fact]
    public void ShortBuffersAreRefused()
    {
        var shape = new AttentionShape(1, 2, 64, 64, 0, 0, 64, 64);
        using var acc = new CpuAccelerator();
        using var full = acc.Allocate<float>(shape.TokenElements);
        using var half = acc.Allocate<float>(shape.TokenElements / 2);
        using var counts = acc.Allocate<int>(1);
        using var lists = acc.Allocate<int>(2);
        using var r = acc.Allocate<float>(2);
        using var c = acc.Allocate<float>(2 * 64);
        Assert.Throws<ArgumentException>(() => FlashSteps.DenseAttention(acc, shape, full.View, half.View, full.View, full.View, 0, 64));
        // counts must hold B * H * nQ = 2 entries.
        Assert.Throws<ArgumentException>(() =>
            FlashSteps.SparseAttention(acc, shape, full.View, full.View, full.View, counts.View, lists.View, r.View, c.View, false, full.View));
        Assert.Throws<ArgumentException>(() =>
            LayoutSteps.PermuteTokens(acc, shape, full.View, counts.View, false, half.View));
    }
}
