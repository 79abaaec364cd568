using System.Runtime.InteropServices;
using RectifiedSpaAttn.Compute;

namespace RectifiedSpaAttn.Tests.Accelerators;

/// <summary>Allocation, copies, fills and disposal of <see cref="DeviceBuffer{T}"/> on every backend present.</summary>
public sealed class DeviceBufferTests(ITestOutputHelper output)
{
    public static TheoryData<AcceleratorKind> Kinds => TestAccelerators.AllKinds;

    [StructLayout(LayoutKind.Sequential, Pack = 1)]
    private readonly record struct Rgb(byte R, byte G, byte B);

    [Theory]
    [MemberData(nameof(Kinds))]
    public void CopiesRoundTrip(AcceleratorKind kind)
    {
        using Accelerator? accelerator = TestAccelerators.CreateOwned(kind, output);
        if (accelerator is null) return;
        int seed = TestAccelerators.NewSeed();
        var rng = new Random(seed);
        int length = rng.Next(1, 5000);
        float[] data = [.. Enumerable.Range(0, length).Select(_ => (float)rng.NextDouble() * 100 - 50)];

        using DeviceBuffer<float> buffer = accelerator.Allocate<float>(length);
        buffer.CopyFrom(data);
        Assert.Equal(length, buffer.Length);
        Assert.Equal(length * 4L, buffer.LengthInBytes);
        Assert.True(data.AsSpan().SequenceEqual(buffer.ToArray()), $"seed {seed}");
        float[] back = new float[length];
        buffer.CopyTo(back);
        Assert.True(data.AsSpan().SequenceEqual(back), $"seed {seed}");
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void PartialCopiesTouchOnlyTheirRange(AcceleratorKind kind)
    {
        using Accelerator? accelerator = TestAccelerators.CreateOwned(kind, output);
        if (accelerator is null) return;
        int seed = TestAccelerators.NewSeed();
        var rng = new Random(seed);
        int length = rng.Next(2, 3000), start = rng.Next(0, length), count = rng.Next(0, length - start + 1);
        int[] part = [.. Enumerable.Range(0, count).Select(_ => rng.Next())];

        using DeviceBuffer<int> buffer = accelerator.Allocate<int>(length);
        buffer.Fill(-1);
        buffer.CopyFrom(part, start);
        int[] expected = Enumerable.Repeat(-1, length).ToArray();
        part.CopyTo(expected, start);
        Assert.True(expected.AsSpan().SequenceEqual(buffer.ToArray()), $"seed {seed}: length {length}, start {start}, count {count}");

        int[] read = new int[count];
        buffer.CopyTo(read, start);
        Assert.True(part.AsSpan().SequenceEqual(read), $"seed {seed}");
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void FillWritesEveryElement(AcceleratorKind kind)
    {
        using Accelerator? accelerator = TestAccelerators.CreateOwned(kind, output);
        if (accelerator is null) return;
        int length = new Random(TestAccelerators.NewSeed()).Next(1, 4000);

        // One case per fill path: 1-byte, 2-byte, 4-byte, 8-byte with distinct halves, and 3-byte (host fallback).
        CheckFill(accelerator, length, (byte)0xFF);
        CheckFill(accelerator, length, (ushort)0xBEEF);
        CheckFill(accelerator, length, float.NaN);
        CheckFill(accelerator, length, 0x0123456789ABCDEFL);
        CheckFill(accelerator, length, -0.1);
        CheckFill(accelerator, length, new Rgb(1, 2, 3));
    }

    private static void CheckFill<T>(Accelerator accelerator, int length, T value) where T : unmanaged
    {
        using DeviceBuffer<T> buffer = accelerator.Allocate<T>(length);
        buffer.CopyFrom(new T[length]);
        buffer.Fill(value);
        T[] result = buffer.ToArray();
        byte[] expected = MemoryMarshal.AsBytes(new ReadOnlySpan<T>(in value)).ToArray();
        for (int i = 0; i < length; i++)
        {
            if (!MemoryMarshal.AsBytes(new ReadOnlySpan<T>(in result[i])).SequenceEqual(expected))
                Assert.Fail($"Fill({value}) left element {i} of {length} as {result[i]} ({typeof(T).Name}).");
        }
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void LengthMismatchesAreArgumentErrors(AcceleratorKind kind)
    {
        using Accelerator? accelerator = TestAccelerators.CreateOwned(kind, output);
        if (accelerator is null) return;
        using DeviceBuffer<float> buffer = accelerator.Allocate<float>(10);

        var tooShort = Assert.Throws<ArgumentException>(() => buffer.CopyFrom(new float[9]));
        Assert.Contains("9", tooShort.Message);
        Assert.Contains("10", tooShort.Message);
        Assert.Throws<ArgumentException>(() => buffer.CopyTo(new float[11]));
        Assert.Throws<ArgumentOutOfRangeException>(() => buffer.CopyFrom(new float[4], 7));
        Assert.Throws<ArgumentOutOfRangeException>(() => buffer.CopyTo(new float[1], -1));
        Assert.Throws<ArgumentOutOfRangeException>(() => buffer.SubView(5, 6));
        Assert.Throws<ArgumentOutOfRangeException>(() => accelerator.Allocate<float>(-1));
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void EmptyBuffersWork(AcceleratorKind kind)
    {
        using Accelerator? accelerator = TestAccelerators.CreateOwned(kind, output);
        if (accelerator is null) return;
        using DeviceBuffer<double> empty = accelerator.Allocate<double>(0);
        Assert.Equal(0, empty.Length);
        Assert.Empty(empty.ToArray());
        empty.CopyFrom([]);
        empty.Fill(1.0);
        Assert.Equal(0, empty.View.Length);
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void ViewsDescribeTheBuffer(AcceleratorKind kind)
    {
        using Accelerator? accelerator = TestAccelerators.CreateOwned(kind, output);
        if (accelerator is null) return;
        using DeviceBuffer<short> buffer = accelerator.Allocate<short>(100);
        ArrayView<short> view = buffer.View;
        Assert.NotEqual(0, view.Handle);
        Assert.Equal(0, view.Offset);
        Assert.Equal(100, view.Length);
        Assert.Equal(200, view.LengthInBytes);
        ArrayView<short> sub = buffer.SubView(30, 20).SubView(5, 10);
        Assert.Equal((view.Handle, 35L, 10L), (sub.Handle, sub.Offset, sub.Length));
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void DisposedBuffersThrowObjectDisposed(AcceleratorKind kind)
    {
        using Accelerator? accelerator = TestAccelerators.CreateOwned(kind, output);
        if (accelerator is null) return;
        DeviceBuffer<int> buffer = accelerator.Allocate<int>(16);
        buffer.Dispose();
        buffer.Dispose(); // twice is fine

        Assert.True(buffer.IsDisposed);
        Assert.Throws<ObjectDisposedException>(() => buffer.View);
        Assert.Throws<ObjectDisposedException>(() => buffer.CopyFrom(new int[16]));
        Assert.Throws<ObjectDisposedException>(() => buffer.CopyTo(new int[16]));
        Assert.Throws<ObjectDisposedException>(() => buffer.ToArray());
        Assert.Throws<ObjectDisposedException>(() => buffer.Fill(0));
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void DisposingTheAcceleratorDisposesItsBuffersAndStreams(AcceleratorKind kind)
    {
        Accelerator? accelerator = TestAccelerators.CreateOwned(kind, output);
        if (accelerator is null) return;
        DeviceBuffer<float> buffer = accelerator.Allocate<float>(1000);
        AcceleratorStream stream = accelerator.CreateStream();
        accelerator.Dispose();

        Assert.True(accelerator.IsDisposed);
        Assert.True(buffer.IsDisposed);
        Assert.Throws<ObjectDisposedException>(() => buffer.ToArray());
        Assert.Throws<ObjectDisposedException>(() => accelerator.Allocate<float>(1));
        Assert.Throws<ObjectDisposedException>(() => accelerator.Synchronize());
        Assert.Throws<ObjectDisposedException>(() => accelerator.CreateStream());
        Assert.Throws<ObjectDisposedException>(() => stream.Synchronize());
        buffer.Dispose();
        accelerator.Dispose();
    }
}
