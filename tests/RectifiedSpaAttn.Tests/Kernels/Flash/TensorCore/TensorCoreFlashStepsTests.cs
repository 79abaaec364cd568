using RectifiedSpaAttn.Compute;
using RectifiedSpaAttn.Kernels.Attention;
using RectifiedSpaAttn.Kernels.Attention.Flash.TensorCore;
using RectifiedSpaAttn.Numerics;

namespace RectifiedSpaAttn.Tests.Kernels.Flash.TensorCore;

/// <summary>What <see cref="TensorCoreFlashSteps"/> claims to support, and that it refuses the rest before launching.</summary>
public sealed class TensorCoreFlashStepsTests
{
    [Theory]
    [InlineData(typeof(Half), 64, 64, 64, true)]
    [InlineData(typeof(BFloat16), 128, 128, 64, true)]
    [InlineData(typeof(Half), 128, 64, 128, true)]
    [InlineData(typeof(float), 64, 64, 64, false)]
    [InlineData(typeof(Half), 96, 64, 64, false)]
    [InlineData(typeof(Half), 64, 32, 64, false)]
    [InlineData(typeof(BFloat16), 64, 64, 100, false)]
    public void SupportsSixteenBitTypesHeadDims64And128AndBlocks64And128(Type type, int d, int m, int n, bool expected) =>
        Assert.Equal(expected, TensorCoreFlashSteps.IsSupported(type, d, m, n));

    [Fact]
    public void EveryVariantHasPtxAndACpuFormAndStaysWithinStaticSharedMemory()
    {
        KernelVariant[] variants = [.. TensorCoreFlashKernels.DenseKernel.Variants, .. TensorCoreFlashKernels.SparseKernel.Variants];
        Assert.Equal(8, variants.Length);
        foreach (KernelVariant variant in variants)
        {
            Assert.Contains("mma.sync.aligned.m16n8k16", variant.Ptx);
            Assert.Contains("cp.async", variant.Ptx);
            Assert.NotNull(variant.Cpu);
            // One K and one V tile of 64 keys (32 KiB at D = 128; dense adds 16 bytes), within the 48 KiB a launch gets
            // without opting in.
            int headDim = int.Parse(variant.Specialization["headDim"]);
            Assert.InRange(variant.StaticSharedMemoryBytes, 2 * TensorCoreFlashKernels.KeyTile * headDim * 2, 48 * 1024);
            // OpenCL emulates mma through local memory and refuses kernels with this many mma sites.
            Assert.NotNull(variant.OpenCLUnsupportedReason);
        }
    }

    [Fact]
    public void DescribesWhatIsBuilt()
    {
        string text = TensorCoreFlashSteps.DescribeSupported();
        Assert.Contains("Half", text);
        Assert.Contains("BFloat16", text);
        Assert.Contains("128", text);
    }

    [Fact]
    public void RefusesAnUnsupportedShapeTooSmallBuffersAndMisalignedViews()
    {
        using var cpu = new CpuAccelerator();
        using DeviceBuffer<Half> x = cpu.Allocate<Half>(64 * 64);
        var odd = new AttentionShape(1, 1, 64, 64, 0, 0, 32, 64);
        var error = Assert.Throws<NotSupportedException>(() => TensorCoreFlashSteps.DenseAttention(cpu, odd, x.View, x.View, x.View, x.View, 0, 64));
        Assert.Contains("M = 32", error.Message);
        var big = new AttentionShape(1, 1, 128, 64, 0, 0, 64, 64);
        Assert.Throws<ArgumentException>(() => TensorCoreFlashSteps.DenseAttention(cpu, big, x.View, x.View, x.View, x.View, 0, 128));
        var small = new AttentionShape(1, 1, 8, 64, 0, 0, 64, 64);
        ArrayView<Half> shifted = x.View.SubView(4, 8 * 64);
        var misaligned = Assert.Throws<ArgumentException>(() => TensorCoreFlashSteps.DenseAttention(cpu, small, shifted, x.View, x.View, x.View, 0, 8));
        Assert.Contains("multiple of 8", misaligned.Message);
        // A 128-row tile cannot serve blocks of 64; tiles other than 64 and 128 do not exist.
        Assert.Throws<ArgumentOutOfRangeException>(() => TensorCoreFlashSteps.DenseAttention(cpu, small, x.View, x.View, x.View, x.View, 0, 8, 96));
        using DeviceBuffer<int> ints = cpu.Allocate<int>(1);
        using DeviceBuffer<float> floats = cpu.Allocate<float>(64);
        Assert.Throws<ArgumentOutOfRangeException>(() => TensorCoreFlashSteps.SparseAttention(cpu, small, x.View, x.View, x.View,
            ints.View, ints.View, floats.View, floats.View, false, x.View, 128));
    }
}
