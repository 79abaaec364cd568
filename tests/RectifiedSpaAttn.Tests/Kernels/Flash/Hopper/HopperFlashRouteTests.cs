using RectifiedSpaAttn.Attention.Pipeline;
using RectifiedSpaAttn.Compute;
using RectifiedSpaAttn.Compute.Cuda;
using RectifiedSpaAttn.Kernels.Attention;
using RectifiedSpaAttn.Numerics;
using RectifiedSpaAttn.Tests.Accelerators;

namespace RectifiedSpaAttn.Tests.Kernels.Flash.Hopper;

/// <summary>
/// The flash route's choice of kernel family per device: Hopper on CUDA devices of compute capability 9.0 (for every
/// 16-bit combination it is built for), the tensor-core kernels on other CUDA devices, never Hopper on the CPU or OpenCL.
/// </summary>
public sealed class HopperFlashRouteTests(ITestOutputHelper output)
{
    private static readonly AttentionShape s_shape = new(1, 2, 300, 128, 30, 13, 128, 64);

    [Fact]
    public void TheCpuTakesTheHostCodeAndForcedKernelsThePortableOnes()
    {
        Accelerator cpu = TestAccelerators.Shared(AcceleratorKind.Cpu, output);
        Assert.Equal("cpu-native", FlashRoute.For(cpu, forceKernels: false).FamilyFor<BFloat16>(s_shape)!.Name);
        Assert.True(FlashRoute.For(cpu, forceKernels: false).IsNative);
        FlashRoute forced = FlashRoute.For(cpu, forceKernels: true);
        Assert.Equal(["portable"], forced.Families.Select(f => f.Name));
        Assert.False(forced.IsNative);
    }

    [Fact]
    public void OpenCLTakesThePortableKernels()
    {
        Accelerator openCL = TestAccelerators.Shared(AcceleratorKind.OpenCL, output);
        Assert.Equal(["portable"], FlashRoute.For(openCL, forceKernels: false).Families.Select(f => f.Name));
    }

    [Fact]
    public void CudaTakesHopperOnComputeCapability9AndTensorCoresElsewhere()
    {
        CudaAccelerator cuda = CudaTestDevice.TryGet(output);
        FlashRoute route = FlashRoute.For(cuda, forceKernels: false);
        bool hopper = cuda.Info.ComputeCapability is { Major: 9, Minor: 0 };
        output.WriteLine($"{cuda.Name}, compute capability {cuda.Info.ComputeCapability}: {string.Join(", ", route.Families.Select(f => f.Name))}");
        Assert.Equal(hopper ? ["hopper", "tensor-core", "portable"] : new[] { "tensor-core", "portable" }, route.Families.Select(f => f.Name));
        foreach (int d in new[] { 64, 128 })
            foreach (int m in new[] { 64, 128 })
                foreach (int n in new[] { 64, 128 })
                {
                    AttentionShape shape = s_shape with { HeadDim = d, QueryBlockSize = m, KeyBlockSize = n };
                    Assert.Equal(hopper ? "hopper" : "tensor-core", route.FamilyFor<Half>(shape)!.Name);
                    Assert.Equal(hopper ? "hopper" : "tensor-core", route.FamilyFor<BFloat16>(shape)!.Name);
                    Assert.Equal("portable", route.FamilyFor<float>(shape)!.Name);
                }
        // Chosen once per device: a second route for the same accelerator has the same families.
        Assert.Same(route.Families, FlashRoute.For(cuda, forceKernels: false).Families);
    }
}
