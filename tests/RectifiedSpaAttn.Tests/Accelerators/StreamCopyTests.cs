using RectifiedSpaAttn.Compute;
using RectifiedSpaAttn.Compute.Cpu;
using Xunit;

namespace RectifiedSpaAttn.Tests.Accelerators;

/// <summary>
/// Stream-ordered copies and stream state: an upload on a stream stages its data (the caller's memory may change at
/// once), a download on the stream sees it, markers pass once the stream has finished, and wrong streams are refused.
/// </summary>
public class StreamCopyTests(ITestOutputHelper output)
{
    public static TheoryData<AcceleratorKind> Kinds => TestAccelerators.AllKinds;

    [Theory]
    [MemberData(nameof(Kinds))]
    public void AnUploadOnAStreamIsStagedAndADownloadOnItSeesIt(AcceleratorKind kind)
    {
        Accelerator accelerator = TestAccelerators.Shared(kind, output);
        using AcceleratorStream stream = accelerator.CreateStream();
        var random = new Random(TestAccelerators.NewSeed());
        int[] expected = [.. Enumerable.Range(0, 100_000).Select(_ => random.Next())];
        int[] source = (int[])expected.Clone();
        using DeviceBuffer<int> buffer = accelerator.Allocate<int>(source.Length + 10);
        buffer.CopyFrom(source, 10, stream);
        // Overwriting the source right away must not reach the device: the upload copied it into staging memory.
        Array.Fill(source, -1);
        using StreamMarker marker = stream.RecordMarker();
        var back = new int[expected.Length];
        buffer.CopyTo(back, 10, stream);
        Assert.Equal(expected, back);
        stream.Synchronize();
        Assert.True(marker.HasPassed);
        Assert.True(stream.IsComplete);
    }

    [Fact]
    public void StreamsOfAnotherAcceleratorAndDisposedStreamsAreRefused()
    {
        using var one = new CpuAccelerator();
        using var two = new CpuAccelerator();
        using DeviceBuffer<float> buffer = one.Allocate<float>(4);
        Assert.Throws<ArgumentException>(() => buffer.CopyFrom(new float[4], 0, two.DefaultStream));
        Assert.Throws<ArgumentException>(() => buffer.CopyTo(new float[4], 0, two.DefaultStream));
        AcceleratorStream stream = one.CreateStream();
        Assert.True(stream.IsComplete);
        Assert.False(stream.IsDisposed);
        stream.Dispose();
        Assert.True(stream.IsDisposed);
        Assert.Throws<ObjectDisposedException>(() => stream.IsComplete);
        Assert.Throws<ObjectDisposedException>(() => stream.RecordMarker());
        Assert.Throws<ArgumentOutOfRangeException>(() => buffer.CopyFrom(new float[5], 0, one.DefaultStream));
    }
}
