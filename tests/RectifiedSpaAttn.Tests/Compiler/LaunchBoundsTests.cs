using RectifiedSpaAttn.Compute;
using RectifiedSpaAttn.Compute.Cpu;
using RectifiedSpaAttn.Kernels.Corpus;
using RectifiedSpaAttn.Numerics;

namespace RectifiedSpaAttn.Tests.Compiler;

/// <summary>
/// A kernel's <c>KernelHint.LaunchBounds</c> is a promise the runtime keeps on every backend: the variant carries its
/// bound, <c>MaxGroupSizeFor</c> reports no more, and a larger group is refused before the kernel runs (CUDA would
/// refuse it in the driver; the CPU and OpenCL would otherwise run it).
/// </summary>
public sealed class LaunchBoundsTests
{
    [Theory]
    [InlineData(128)]
    [InlineData(256)]
    public void TheTensorCoreMatmulIsBoundedByItsGroupSize(int tileN)
    {
        KernelVariant variant = TensorCoreMatmulKernels.MatmulKernel.GetVariant(typeof(BFloat16), 3, tileN, 32, 1);
        Assert.Equal(TensorCoreMatmulKernels.GroupSize(tileN), variant.MaxGroupSize);
        Assert.Contains($".maxntid {tileN}, 1, 1", variant.Ptx);
        using var cpu = new CpuAccelerator();
        Assert.Equal(Math.Min(cpu.MaxGroupSize, tileN), cpu.MaxGroupSizeFor(variant));
    }

    [Fact]
    public void ALaunchAboveTheBoundIsRefusedNamingIt()
    {
        using var cpu = new CpuAccelerator();
        using DeviceBuffer<BFloat16> a = cpu.Allocate<BFloat16>(128 * 32);
        using DeviceBuffer<float> c = cpu.Allocate<float>(128 * 128);
        c.Fill(-1f);
        var dims = new LaunchDimensions(new Dim3(1, 1), 256, TensorCoreMatmulKernels.SharedBytes(3, 128, 32, 2));
        var e = Assert.Throws<ArgumentException>(() =>
            TensorCoreMatmulKernels.MatmulKernel.Launch(cpu, dims, a.View, a.View, c.View, 128, 128, 32, 1, 3, 128, 32, 1));
        Assert.Contains("128", e.Message);
        Assert.Contains("LaunchBounds", e.Message);
        // Refused before anything ran: C is untouched.
        Assert.All(c.ToArray(), v => Assert.Equal(-1f, v));
    }

    [Fact]
    public void KernelsWithoutBoundsCarryNone()
    {
        KernelVariant variant = TiledMatmulKernels.MatmulKernel.GetVariant(16);
        Assert.Equal(0, variant.MaxGroupSize);
        Assert.DoesNotContain(".maxntid", variant.Ptx);
    }
}
