using RectifiedSpaAttn.Compute;
using RectifiedSpaAttn.Compute.Cpu;

namespace RectifiedSpaAttn.Tests.Accelerators;

/// <summary>Launches with arguments or dimensions that do not fit the variant or the device fail before reaching the driver.</summary>
public sealed class LaunchValidationTests(ITestOutputHelper output)
{
    public static TheoryData<AcceleratorKind> Kinds => TestAccelerators.AllKinds;

    private static readonly LaunchDimensions OneGroup = new(1, 64);

    [Theory]
    [MemberData(nameof(Kinds))]
    public void ArgumentsMustMatchTheParameters(AcceleratorKind kind)
    {
        Accelerator? accelerator = TestAccelerators.Shared(kind, output);
        if (accelerator is null) return;
        using DeviceBuffer<float> x = accelerator.Allocate<float>(64);
        using DeviceBuffer<int> ints = accelerator.Allocate<int>(64);
        KernelArgument xs = KernelArgument.Buffer(x.View, ScalarType.Float32);

        var count = Assert.Throws<ArgumentException>(() => accelerator.Launch(TestKernels.Saxpy, OneGroup, [xs, xs]));
        Assert.Contains("takes 3 arguments", count.Message);
        Assert.Contains("2 were given", count.Message);

        var kindMismatch = Assert.Throws<ArgumentException>(() => accelerator.Launch(TestKernels.Saxpy, OneGroup, [xs, KernelArgument.From(1f), KernelArgument.From(1f)]));
        Assert.Contains("'y'", kindMismatch.Message);
        Assert.Contains("buffer of Float32", kindMismatch.Message);

        var scalarType = Assert.Throws<ArgumentException>(() => accelerator.Launch(TestKernels.Saxpy, OneGroup, [xs, xs, KernelArgument.From(1)]));
        Assert.Contains("'a'", scalarType.Message);
        Assert.Contains("Int32", scalarType.Message);

        var elementType = Assert.Throws<ArgumentException>(() => accelerator.Launch(TestKernels.Saxpy, OneGroup,
            [KernelArgument.Buffer(ints.View, ScalarType.Int32), xs, KernelArgument.From(1f)]));
        Assert.Contains("'x'", elementType.Message);

        Assert.Throws<ArgumentNullException>(() => accelerator.Launch(null!, OneGroup, []));
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void BuffersMustBeLiveAndOwnedAndLargeEnough(AcceleratorKind kind)
    {
        // An accelerator of its own: nothing else may allocate (and so reuse the stale handle) meanwhile.
        using Accelerator? accelerator = TestAccelerators.CreateOwned(kind, output);
        if (accelerator is null) return;
        using DeviceBuffer<float> y = accelerator.Allocate<float>(64);
        KernelArgument ys = KernelArgument.Buffer(y.View, ScalarType.Float32), a = KernelArgument.From(1f);

        DeviceBuffer<float> disposed = accelerator.Allocate<float>(64);
        ArrayView<float> stale = disposed.View;
        disposed.Dispose();
        var gone = Assert.Throws<ArgumentException>(() => accelerator.Launch(TestKernels.Saxpy, OneGroup, [KernelArgument.Buffer(stale, ScalarType.Float32), ys, a]));
        Assert.Contains("not a view of a live buffer", gone.Message);

        using var other = new CpuAccelerator();
        using DeviceBuffer<float> foreign = other.Allocate<float>(64);
        Assert.Throws<ArgumentException>(() => accelerator.Launch(TestKernels.Saxpy, OneGroup, [KernelArgument.Buffer(foreign.View, ScalarType.Float32), ys, a]));

        var pastEnd = new ArrayView<float>(y.View.Handle, 10, 60);
        var overflow = Assert.Throws<ArgumentException>(() => accelerator.Launch(TestKernels.Saxpy, OneGroup, [ys, KernelArgument.Buffer(pastEnd, ScalarType.Float32), a]));
        Assert.Contains("past the end", overflow.Message);

        var nothing = new ArrayView<float>(0, 0, 5);
        Assert.Throws<ArgumentException>(() => accelerator.Launch(TestKernels.Saxpy, OneGroup, [KernelArgument.Buffer(nothing, ScalarType.Float32), ys, a]));
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void DimensionsMustFitTheDevice(AcceleratorKind kind)
    {
        Accelerator? accelerator = TestAccelerators.Shared(kind, output);
        if (accelerator is null) return;
        using DeviceBuffer<float> x = accelerator.Allocate<float>(64);
        KernelArgument xs = KernelArgument.Buffer(x.View, ScalarType.Float32);
        KernelArgument[] args = [xs, xs, KernelArgument.From(1f)];

        var tooBig = Assert.Throws<ArgumentException>(() => accelerator.Launch(TestKernels.Saxpy, new LaunchDimensions(1, accelerator.MaxGroupSize + 1), args));
        Assert.Contains(accelerator.MaxGroupSize.ToString(), tooBig.Message);
        Assert.Throws<ArgumentException>(() => accelerator.Launch(TestKernels.Saxpy, new LaunchDimensions(0, 64), args));
        Assert.Throws<ArgumentException>(() => accelerator.Launch(TestKernels.Saxpy, new LaunchDimensions(new Dim3(1, 0), 64), args));
        Assert.Throws<ArgumentException>(() => accelerator.Launch(TestKernels.Saxpy, new LaunchDimensions(1, new Dim3(64, 1, 0)), args));
        Assert.Throws<ArgumentException>(() => accelerator.Launch(TestKernels.Saxpy, new LaunchDimensions(1, 64, -1), args));
        var shared = Assert.Throws<ArgumentException>(() => accelerator.Launch(TestKernels.Saxpy, new LaunchDimensions(1, 64, accelerator.MaxSharedMemoryPerGroup + 1), args));
        Assert.Contains("shared memory", shared.Message);
    }

    [Fact]
    public void LaunchingOnADisposedAcceleratorThrowsObjectDisposed()
    {
        var accelerator = new CpuAccelerator();
        AcceleratorStream stream = accelerator.CreateStream();
        accelerator.Dispose();
        Assert.Throws<ObjectDisposedException>(() => accelerator.Launch(TestKernels.Saxpy, OneGroup, []));
        Assert.Throws<ObjectDisposedException>(() => stream.Launch(TestKernels.Saxpy, OneGroup, []));
    }
}
