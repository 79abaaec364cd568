using RectifiedSpaAttn.Compute;
using RectifiedSpaAttn.Compute.Cuda;

namespace RectifiedSpaAttn.Tests.Accelerators;

/// <summary>
/// What is specific to CUDA. These run where a CUDA device is present (the lead's H100; set <c>RSA_REQUIRE_CUDA=1</c>
/// there so that a missing device fails); the launch tests in <see cref="LaunchTests"/> also cover CUDA.
/// </summary>
public sealed class CudaAcceleratorTests(ITestOutputHelper output)
{
    [Fact]
    public void DescribesTheDevice()
    {
        CudaAccelerator? cuda = CudaTestDevice.TryGet(output);
        if (cuda is null) return;
        output.WriteLine(cuda.Info.ToString());
        Assert.Equal(AcceleratorKind.Cuda, cuda.Kind);
        Assert.Equal(32, cuda.WarpSize);
        Assert.True(cuda.ComputeCapability >= new Version(8, 0), $"compute capability {cuda.ComputeCapability}");
        Assert.True(cuda.MaxSharedMemoryPerGroup > 48 * 1024, $"{cuda.MaxSharedMemoryPerGroup}");
        Assert.Equal(1024, cuda.MaxGroupSize);
        Assert.True(cuda.MemoryBytes > 1L << 30);
        Assert.StartsWith("CUDA ", cuda.Info.PlatformName);
        Assert.True(cuda.Info.IsGpu);
    }

    [Fact]
    public void InvalidPtxReportsTheJitLog()
    {
        CudaAccelerator? cuda = CudaTestDevice.TryGet(output);
        if (cuda is null) return;
        using DeviceBuffer<float> x = cuda.Allocate<float>(4);
        var error = Assert.Throws<AcceleratorException>(() => cuda.Launch(TestKernels.Broken, new LaunchDimensions(1, 1), [KernelArgument.Buffer(x.View, ScalarType.Float32)]));
        output.WriteLine(error.Message);
        Assert.StartsWith("CUDA_ERROR_INVALID_PTX (218) in cuModuleLoadDataEx: ", error.Message);
        Assert.Contains("this_is_not_an_instruction", error.Message);
        Assert.Equal(("CUDA_ERROR_INVALID_PTX", 218, "cuModuleLoadDataEx"), (error.ErrorName, error.ErrorCode, error.Operation));
    }

    [Fact]
    public void AMissingEntryPointIsNamed()
    {
        CudaAccelerator? cuda = CudaTestDevice.TryGet(output);
        if (cuda is null) return;
        using DeviceBuffer<float> x = cuda.Allocate<float>(4);
        var error = Assert.Throws<AcceleratorException>(() => cuda.Launch(TestKernels.MissingEntry, new LaunchDimensions(1, 1), [KernelArgument.Buffer(x.View, ScalarType.Float32)]));
        Assert.Contains("CUDA_ERROR_NOT_FOUND (500) in cuModuleGetFunction", error.Message);
        Assert.Contains("'not_there'", error.Message);
    }

    [Fact]
    public void OutOfMemoryIsAnAcceleratorException()
    {
        CudaAccelerator? cuda = CudaTestDevice.TryGet(output);
        if (cuda is null) return;
        var error = Assert.Throws<AcceleratorException>(() => cuda.Allocate<byte>(cuda.MemoryBytes * 4));
        Assert.Contains("CUDA_ERROR_OUT_OF_MEMORY (2) in cuMemAlloc_v2", error.Message);
    }
}
