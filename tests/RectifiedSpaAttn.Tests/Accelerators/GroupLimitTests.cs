using RectifiedSpaAttn.Compute;

namespace RectifiedSpaAttn.Tests.Accelerators;

/// <summary>
/// <see cref="Accelerator.MaxGroupSizeFor"/>: the largest group a compiled kernel can be launched with on each backend,
/// which launches of that size accept and one thread more is refused before the driver sees it.
/// </summary>
public sealed class GroupLimitTests(ITestOutputHelper output)
{
    public static TheoryData<AcceleratorKind> Kinds => TestAccelerators.AllKinds;

    [Theory]
    [MemberData(nameof(Kinds))]
    public void TheKernelLimitIsLaunchableAndOneMoreIsRefused(AcceleratorKind kind)
    {
        Accelerator? accelerator = TestAccelerators.Shared(kind, output);
        if (accelerator is null) return;
        int limit = accelerator.MaxGroupSizeFor(TestKernels.Saxpy);
        output.WriteLine($"{accelerator}: {TestKernels.Saxpy.DisplayName} up to {limit} threads per group (device: {accelerator.MaxGroupSize})");
        Assert.InRange(limit, 1, accelerator.MaxGroupSize);
        // Kernels are written for CUDA's limit, and the OpenCL warp emulation is sized for it.
        Assert.True(accelerator.MaxGroupSize <= 1024, $"{accelerator} reports {accelerator.MaxGroupSize} threads per group");

        using DeviceBuffer<float> x = accelerator.Allocate<float>(limit), y = accelerator.Allocate<float>(limit);
        x.Fill(2f);
        y.Fill(1f);
        KernelArgument[] args = [KernelArgument.Buffer(x.View, ScalarType.Float32), KernelArgument.Buffer(y.View, ScalarType.Float32), KernelArgument.From(3f)];
        accelerator.Launch(TestKernels.Saxpy, new LaunchDimensions(1, limit), args);
        Assert.All(y.ToArray(), v => Assert.Equal(7f, v));

        var refused = Assert.Throws<ArgumentException>(() => accelerator.Launch(TestKernels.Saxpy, new LaunchDimensions(1, limit + 1), args));
        Assert.Contains(limit.ToString(), refused.Message);
    }

    [Fact]
    public void AVariantOpenCLCannotRunHasNoOpenCLLimit()
    {
        if (TestAccelerators.Shared(AcceleratorKind.OpenCL, output) is not { } cl) return;
        KernelVariant unsupported = new(TestKernels.Saxpy.KernelName + "Unsupported", TestKernels.Saxpy.EntryPoint, TestKernels.Saxpy.Specialization,
            TestKernels.Saxpy.Parameters, 0, TestKernels.Saxpy.Ptx, TestKernels.Saxpy.OpenCL, TestKernels.Saxpy.Cpu, "OpenCL: made up for this test");
        var e = Assert.Throws<NotSupportedException>(() => cl.MaxGroupSizeFor(unsupported));
        Assert.Contains("made up for this test", e.Message);
    }
}
