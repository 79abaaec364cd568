using RectifiedSpaAttn.Compute;
using RectifiedSpaAttn.Compute.Cpu;
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
    public void EveryLaunchedVariantHasPtxAndACpuFormAndUsesOnlyDynamicSharedMemory()
    {
        KernelVariant[] variants = [.. TensorCoreFlashKernels.DenseKernel.Variants, .. TensorCoreFlashKernels.SparseKernel.Variants];
        // Two element types x two head dims x two rows-per-warp values, per kernel.
        Assert.Equal(16, variants.Length);
        foreach (KernelVariant variant in variants)
        {
            Assert.NotNull(variant.Cpu);
            // The K/V stages are dynamic shared memory sized by the launcher (up to 64 KiB at D = 128 with 2 stages).
            Assert.Equal(0, variant.StaticSharedMemoryBytes);
            // OpenCL emulates mma through local memory and refuses kernels with this many mma sites.
            Assert.Contains("mma.sync.aligned.m16n8k16", variant.Ptx);
            Assert.Contains("cp.async", variant.Ptx);
            Assert.NotNull(variant.OpenCLUnsupportedReason);
        }
    }

    [Fact]
    public void SizesGroupsAndSharedMemoryFromTheKnobs()
    {
        Assert.Equal(32, TensorCoreFlashKernels.DefaultWarpRows(64));
        Assert.Equal(32, TensorCoreFlashKernels.DefaultWarpRows(128));
        Assert.Equal(128, TensorCoreFlashKernels.GroupSize(128, 32));
        Assert.Equal(256, TensorCoreFlashKernels.GroupSize(128, 16));
        Assert.Equal(128, TensorCoreFlashKernels.GroupSize(64, 16));
        Assert.Equal(16 * 1024, TensorCoreFlashKernels.DynamicSharedBytes(64, 1, 128, 32));
        Assert.Equal(64 * 1024, TensorCoreFlashKernels.DynamicSharedBytes(128, 2, 128, 16));
        // D = 128 with 32 rows per warp keeps the Q tile (32 KiB) resident ahead of stages of 32-key tiles (16 KiB each).
        Assert.Equal((32 + 2 * 16) * 1024, TensorCoreFlashKernels.DynamicSharedBytes(128, 2, 128, 32));
    }

    [Fact]
    public void DescribesWhatIsBuilt()
    {
        // Read from the generated variant lists: the generator's names of the [Specialize] values.
        string text = TensorCoreFlashSteps.DescribeSupported();
        Assert.Contains("element types half, bfloat16", text);
        Assert.Contains("head dims 64, 128", text);
        Assert.Contains("block sizes 64, 128", text);
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
        // Rows per warp are 16 or 32, and the pipeline has 1 or 2 stages.
        Assert.Throws<ArgumentOutOfRangeException>(() => TensorCoreFlashSteps.DenseAttention(cpu, small, x.View, x.View, x.View, x.View, 0, 8, null, 8));
        Assert.Throws<ArgumentOutOfRangeException>(() => TensorCoreFlashSteps.SparseAttention(cpu, small, x.View, x.View, x.View,
            ints.View, ints.View, floats.View, floats.View, false, x.View, null, null, 3));
    }
}
