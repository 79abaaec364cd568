using RectifiedSpaAttn.Attention.Pipeline;
using RectifiedSpaAttn.Compute;
using RectifiedSpaAttn.Attention;
using RectifiedSpaAttn.Compute.Cpu;
using RectifiedSpaAttn.Tensors;
using Xunit;

namespace RectifiedSpaAttn.Tests.Attention;

/// <summary>The per-accelerator scratch pool: reuse by type and length, nothing disposed handed out, a bounded size.</summary>
public class ScratchPoolTests
{
    [Fact]
    public void ReturnedBuffersAreReusedByTypeAndLength()
    {
        using var cpu = new CpuAccelerator();
        ScratchPool pool = ScratchPool.For(cpu);
        Assert.Same(pool, ScratchPool.For(cpu));
        DeviceBuffer<float> first = pool.Rent<float>(cpu, 100);
        pool.Return(first);
        Assert.Same(first, pool.Rent<float>(cpu, 100));
        Assert.NotSame(first, pool.Rent<float>(cpu, 101));
        pool.Return(first);
        Assert.IsNotType<DeviceBuffer<float>>(pool.Rent<int>(cpu, 100));
    }

    [Fact]
    public void DisposedBuffersAreNotHandedOutAndAFullPoolFrees()
    {
        using var cpu = new CpuAccelerator();
        ScratchPool pool = ScratchPool.For(cpu);
        DeviceBuffer<byte> buffer = pool.Rent<byte>(cpu, 8);
        pool.Return(buffer);
        buffer.Dispose();
        DeviceBuffer<byte> next = pool.Rent<byte>(cpu, 8);
        Assert.NotSame(buffer, next);
        Assert.False(next.IsDisposed);

        var many = Enumerable.Range(0, 80).Select(_ => pool.Rent<short>(cpu, 4)).ToList();
        foreach (var b in many) pool.Return(b);
        Assert.Equal(64, many.Count(b => !b.IsDisposed));
    }

    [Fact]
    public void RepeatedCallsGiveTheSameResultWithReusedScratch()
    {
        using var cpu = new CpuAccelerator();
        var random = new Random(Accelerators.TestAccelerators.NewSeed());
        var host = new HostTensor<float>(1, 2, 200, 64);
        foreach (ref float x in host.Span) x = random.NextSingle() * 2 - 1;
        using var q = DeviceTensor<float>.Upload(cpu, host);
        var options = new RectifiedSpaAttnOptions { QueryBlockSize = 64, KeyBlockSize = 64, DropRate = 0.5 };
        using var first = AttentionOperations.Rectified(q, q, q, options, AttentionDiagnostics.All);
        using var second = AttentionOperations.Rectified(q, q, q, options, AttentionDiagnostics.All);
        Assert.Equal(first.Output.ToHost().Span.ToArray(), second.Output.ToHost().Span.ToArray());
        Assert.Equal(first.Mask!.Span.ToArray(), second.Mask!.Span.ToArray());
        Assert.Equal(first.Rectification!.Span.ToArray(), second.Rectification!.Span.ToArray());
    }
}
