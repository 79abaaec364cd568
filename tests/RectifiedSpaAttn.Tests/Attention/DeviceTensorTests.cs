using RectifiedSpaAttn.Compute;
using RectifiedSpaAttn.Compute.Cpu;
using RectifiedSpaAttn.Numerics;
using RectifiedSpaAttn.Tensors;
using RectifiedSpaAttn.Tests.Accelerators;
using Xunit;

namespace RectifiedSpaAttn.Tests.Attention;

/// <summary>Device tensors: round trips on every backend, refusal of non-finite values with their index, and disposal.</summary>
public class DeviceTensorTests(ITestOutputHelper output)
{
    public static TheoryData<AcceleratorKind> Kinds => TestAccelerators.AllKinds;

    [Theory]
    [MemberData(nameof(Kinds))]
    public void UploadAndDownloadRoundTripEveryElementType(AcceleratorKind kind)
    {
        Accelerator? accelerator = TestAccelerators.Shared(kind, output);
        if (accelerator is null) return;
        var random = new Random(TestAccelerators.NewSeed());
        var values = new HostTensor<double>(Enumerable.Range(0, 2 * 3 * 5 * 7).Select(_ => random.NextDouble() * 8 - 4).ToArray(), 2, 3, 5, 7);
        RoundTrip(accelerator, values.ConvertTo<float>());
        RoundTrip(accelerator, values.ConvertTo<Half>());
        RoundTrip(accelerator, values.ConvertTo<BFloat16>());
    }

    private static void RoundTrip<T>(Accelerator accelerator, HostTensor<T> host) where T : unmanaged
    {
        using DeviceTensor device = DeviceTensor.Upload(accelerator, host);
        Assert.Equal(host.ElementType, device.ElementType);
        Assert.Equal(host.Shape.ToArray(), device.Shape.ToArray());
        var back = (HostTensor<T>)device.ToHost();
        Assert.Equal(host.AsBytes().ToArray(), back.AsBytes().ToArray());
    }

    [Theory]
    [InlineData(float.NaN)]
    [InlineData(float.PositiveInfinity)]
    [InlineData(float.NegativeInfinity)]
    public void NonFiniteValuesAreRefusedWithTheirIndex(float bad)
    {
        using var cpu = new CpuAccelerator();
        var host = new HostTensor<float>(1, 2, 3, 4);
        host.Span.Fill(0.5f);
        host[0, 1, 2, 3] = bad;
        var error = Assert.Throws<ArgumentException>(() => DeviceTensor<float>.Upload(cpu, host));
        Assert.Contains("[0, 1, 2, 3]", error.Message);
        var bf = host.ConvertTo<BFloat16>();
        Assert.Contains("[0, 1, 2, 3]", Assert.Throws<ArgumentException>(() => DeviceTensor.Upload(cpu, bf)).Message);
        var half = host.ConvertTo<Half>();
        Assert.Contains("[0, 1, 2, 3]", Assert.Throws<ArgumentException>(() => DeviceTensor.Upload(cpu, half)).Message);
    }

    [Fact]
    public void LengthMismatchAndUnsupportedTypesAreRefused()
    {
        using var cpu = new CpuAccelerator();
        Assert.Throws<ArgumentException>(() => DeviceTensor<float>.Upload(cpu, new float[5], [2, 3]));
        Assert.Throws<ArgumentException>(() => DeviceTensor.Upload(cpu, new HostTensor<double>(2, 2)));
        using var tensor = DeviceTensor<float>.Allocate(cpu, 2, 3);
        Assert.Throws<ArgumentException>(() => tensor.CopyFrom(new float[7]));
    }

    [Fact]
    public void DisposeFreesTheBufferAndLaterUseThrows()
    {
        using var cpu = new CpuAccelerator();
        var tensor = DeviceTensor<float>.Allocate(cpu, 4, 4);
        tensor.Dispose();
        Assert.True(tensor.IsDisposed);
        Assert.Throws<ObjectDisposedException>(() => tensor.ToHost());
        tensor.Dispose(); // a second dispose is harmless
    }
}
