using RectifiedSpaAttn.Attention;
using RectifiedSpaAttn.Compute;
using RectifiedSpaAttn.Compute.Cpu;
using RectifiedSpaAttn.Tensors;
using RectifiedSpaAttn.Tests.Accelerators;
using RectifiedSpaAttn.Video;
using Xunit;

namespace RectifiedSpaAttn.Tests.Attention;

/// <summary>The device API's contract at its edges: bad input gives an exception naming the problem.</summary>
public class AttentionApiTests(ITestOutputHelper output)
{
    private static DeviceTensor<float> Random(Accelerator accelerator, params int[] shape)
    {
        var random = new Random(TestAccelerators.NewSeed());
        var host = new HostTensor<float>(shape);
        foreach (ref float x in host.Span) x = random.NextSingle() * 2 - 1;
        return DeviceTensor<float>.Upload(accelerator, host);
    }

    [Fact]
    public void MismatchedShapesAreRefused()
    {
        using var cpu = new CpuAccelerator();
        using var q = Random(cpu, 1, 2, 64, 64);
        using var k = Random(cpu, 1, 2, 65, 64);
        var error = Assert.Throws<ArgumentException>(() => AttentionOperations.Dense(q, k, q));
        Assert.Contains("same shape", error.Message);
        using var flat = Random(cpu, 2, 64, 64);
        Assert.Contains("rank 4", Assert.Throws<ArgumentException>(() => AttentionOperations.Dense(flat, flat, flat)).Message);
    }

    [Fact]
    public void TensorsOnDifferentAcceleratorsAreRefused()
    {
        using var one = new CpuAccelerator();
        using var two = new CpuAccelerator();
        using var q = Random(one, 1, 1, 32, 64);
        using var k = Random(two, 1, 1, 32, 64);
        Assert.Contains("one accelerator", Assert.Throws<ArgumentException>(() => AttentionOperations.Dense(q, k, q)).Message);
    }

    [Fact]
    public void InvalidOptionsAreRefused()
    {
        using var cpu = new CpuAccelerator();
        using var q = Random(cpu, 1, 1, 100, 64);
        var badGrid = new RectifiedSpaAttnOptions { VideoLayout = new VideoLayout(new VideoGrid(2, 5, 5)) };
        Assert.Contains("50 tokens", Assert.Throws<ArgumentException>(() => AttentionOperations.Rectified(q, q, q, badGrid)).Message);
        var badMask = new RectifiedSpaAttnOptions { QueryBlockSize = 64, KeyBlockSize = 64, CriticalMask = new HostTensor<bool>(1, 1, 3, 3) };
        Assert.Contains(nameof(RectifiedSpaAttnOptions.CriticalMask), Assert.Throws<ArgumentException>(() => AttentionOperations.BlockSparse(q, q, q, badMask)).Message);
        Assert.Contains(nameof(RectifiedSpaAttnOptions.Tau), Assert.Throws<ArgumentException>(() => AttentionOperations.Rectified(q, q, q, new RectifiedSpaAttnOptions { Tau = double.NaN })).Message);
    }

    [Fact]
    public void DisposedInputsAreRefused()
    {
        using var cpu = new CpuAccelerator();
        var q = Random(cpu, 1, 1, 32, 64);
        q.Dispose();
        Assert.Throws<ObjectDisposedException>(() => AttentionOperations.Dense(q, q, q));
    }

    [Theory]
    [InlineData(AcceleratorKind.OpenCL)]
    [InlineData(AcceleratorKind.Cuda)]
    public void AnUnbuiltHeadDimOnAGpuBackendListsWhatIsBuilt(AcceleratorKind kind)
    {
        Accelerator? accelerator = TestAccelerators.Shared(kind, output);
        if (accelerator is null) return;
        using var q = Random(accelerator, 1, 1, 40, 24);
        var error = Assert.Throws<NotSupportedException>(() => AttentionOperations.Dense(q, q, q));
        Assert.Contains("head dim 24", error.Message);
        Assert.Contains("Built:", error.Message);
        Assert.Contains("64", error.Message);
    }

    [Fact]
    public void TheCpuAcceleratorTakesAnyHeadDim()
    {
        using var cpu = new CpuAccelerator();
        using var q = Random(cpu, 1, 1, 40, 24);
        using var k = Random(cpu, 1, 1, 40, 24);
        using var v = Random(cpu, 1, 1, 40, 24);
        using DeviceTensor<float> o = AttentionOperations.Dense(q, k, v);
        HostTensor<double> expected = RectifiedSpaAttn.Reference.ExactReference.DenseAttention(q.ToHost(), k.ToHost(), v.ToHost());
        double relL2 = Metrics.ErrorMetrics.RelativeL2(o.ToHost().ToDouble().Span, expected.Span);
        Assert.True(relL2 < 1e-5, $"rel L2 {relL2:E3}");
    }
}
