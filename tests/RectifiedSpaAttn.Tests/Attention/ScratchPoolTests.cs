using RectifiedSpaAttn.Attention.Pipeline;
using RectifiedSpaAttn.Compute;
using RectifiedSpaAttn.Attention;
using RectifiedSpaAttn.Compute.Cpu;
using RectifiedSpaAttn.Tensors;
using Xunit;

namespace RectifiedSpaAttn.Tests.Attention;

/// <summary>
/// The per-accelerator scratch pool: reuse by type and length, nothing disposed handed out, a bounded size, and (on the
/// CPU, where a marker has always passed) buffers of one stream free for another once returned.
/// </summary>
public class ScratchPoolTests
{
    private static void Return<T>(ScratchPool pool, DeviceBuffer<T> buffer, AcceleratorStream stream) where T : unmanaged
        => pool.ReturnNow(buffer, stream);

    [Fact]
    public void ReturnedBuffersAreReusedByTypeAndLength()
    {
        using var cpu = new CpuAccelerator();
        AcceleratorStream stream = cpu.DefaultStream;
        ScratchPool pool = ScratchPool.For(cpu);
        Assert.Same(pool, ScratchPool.For(cpu));
        DeviceBuffer<float> first = pool.Rent<float>(stream, 100);
        Return(pool, first, stream);
        Assert.Same(first, pool.Rent<float>(stream, 100));
        Assert.NotSame(first, pool.Rent<float>(stream, 101));
        Return(pool, first, stream);
        Assert.IsNotType<DeviceBuffer<float>>(pool.Rent<int>(stream, 100));
        long before = cpu.AllocationCount;
        Assert.Same(first, pool.Rent<float>(stream, 100));
        Assert.Equal(before, cpu.AllocationCount);
    }

    [Fact]
    public void ABufferReturnedOnOneStreamServesAnotherOnceItsMarkerPassed()
    {
        using var cpu = new CpuAccelerator();
        using AcceleratorStream other = cpu.CreateStream();
        ScratchPool pool = ScratchPool.For(cpu);
        DeviceBuffer<float> buffer = pool.Rent<float>(cpu.DefaultStream, 64);
        Return(pool, buffer, cpu.DefaultStream);
        Assert.Same(buffer, pool.Rent<float>(other, 64));
    }

    [Fact]
    public void DisposedBuffersAreNotHandedOutAndAFullPoolFrees()
    {
        using var cpu = new CpuAccelerator();
        AcceleratorStream stream = cpu.DefaultStream;
        ScratchPool pool = ScratchPool.For(cpu);
        DeviceBuffer<byte> buffer = pool.Rent<byte>(stream, 8);
        Return(pool, buffer, stream);
        buffer.Dispose();
        DeviceBuffer<byte> next = pool.Rent<byte>(stream, 8);
        Assert.NotSame(buffer, next);
        Assert.False(next.IsDisposed);

        var many = Enumerable.Range(0, 80).Select(_ => pool.Rent<short>(stream, 4)).ToList();
        foreach (var b in many) Return(pool, b, stream);
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
