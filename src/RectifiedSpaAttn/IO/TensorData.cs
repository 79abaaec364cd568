using System.Buffers;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using RectifiedSpaAttn.Numerics;
using RectifiedSpaAttn.Tensors;

namespace RectifiedSpaAttn.IO;

/// <summary>
/// Moves tensor elements between streams and <see cref="HostTensor{T}"/> arrays as little-endian bytes, in chunks:
/// a tensor's bytes can exceed the 2 GiB a single byte span can address. The arrays are copied verbatim, which
/// assumes a little-endian host (every platform .NET supports today).
/// </summary>
internal static class TensorData
{
    /// <summary>Bytes moved per read/write call; also the size of the copy buffer of the async paths.</summary>
    private const int ChunkBytes = 1 << 20;

    /// <summary>
    /// Checks a declared shape and returns its element count, or the reason it cannot be a <see cref="HostTensor"/>:
    /// negative or too large extents, or a product beyond the largest array .NET can allocate.
    /// </summary>
    public static string? TryCountElements(IReadOnlyList<long> dims, out long count)
    {
        count = 1;
        for (int d = 0; d < dims.Count; d++)
        {
            if (dims[d] < 0) return $"dimension {d} of the shape is negative ({dims[d]})";
            if (dims[d] > int.MaxValue) return $"dimension {d} of the shape ({dims[d]}) exceeds {int.MaxValue}";
        }
        // Multiply with overflow checks, but a zero anywhere makes the tensor empty whatever the other extents are.
        if (dims.Contains(0)) { count = 0; return null; }
        foreach (long extent in dims)
        {
            if (count > Array.MaxLength / extent)
                return $"the shape [{string.Join(", ", dims)}] has more than {Array.MaxLength} elements (the largest array .NET can allocate)";
            count *= extent;
        }
        return null;
    }

    /// <summary>Allocates a zero-filled tensor of <paramref name="type"/>.</summary>
    public static HostTensor Allocate(ElementType type, int[] shape) => type switch
    {
        ElementType.BFloat16 => new HostTensor<BFloat16>(shape),
        ElementType.Float16 => new HostTensor<Half>(shape),
        ElementType.Float32 => new HostTensor<float>(shape),
        ElementType.Float64 => new HostTensor<double>(shape),
        ElementType.Bool => new HostTensor<bool>(shape),
        ElementType.UInt16 => new HostTensor<ushort>(shape),
        ElementType.Int32 => new HostTensor<int>(shape),
        ElementType.Int64 => new HostTensor<long>(shape),
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, "Unknown element type."),
    };

    /// <summary>
    /// Fills <paramref name="tensor"/> from exactly <see cref="HostTensor.ByteLength"/> bytes of
    /// <paramref name="stream"/>; a stream that ends early gives a <see cref="TensorFormatException"/>.
    /// </summary>
    public static void Read(Stream stream, HostTensor tensor, string? file, string what)
    {
        switch (tensor)
        {
            case HostTensor<BFloat16> t: Read(stream, t.Data, file, what); break;
            case HostTensor<Half> t: Read(stream, t.Data, file, what); break;
            case HostTensor<float> t: Read(stream, t.Data, file, what); break;
            case HostTensor<double> t: Read(stream, t.Data, file, what); break;
            case HostTensor<bool> t: Read(stream, t.Data, file, what); NormalizeBools(t.Data); break;
            case HostTensor<ushort> t: Read(stream, t.Data, file, what); break;
            case HostTensor<int> t: Read(stream, t.Data, file, what); break;
            case HostTensor<long> t: Read(stream, t.Data, file, what); break;
            default: throw new NotSupportedException($"Cannot read a {tensor.ElementType} tensor.");
        }
    }

    /// <summary>The asynchronous form of <see cref="Read(Stream, HostTensor, string?, string)"/>.</summary>
    public static Task ReadAsync(Stream stream, HostTensor tensor, string? file, string what, CancellationToken ct) => tensor switch
    {
        HostTensor<BFloat16> t => ReadAsync(stream, t.Data, file, what, ct),
        HostTensor<Half> t => ReadAsync(stream, t.Data, file, what, ct),
        HostTensor<float> t => ReadAsync(stream, t.Data, file, what, ct),
        HostTensor<double> t => ReadAsync(stream, t.Data, file, what, ct),
        HostTensor<bool> t => ReadBoolsAsync(stream, t.Data, file, what, ct),
        HostTensor<ushort> t => ReadAsync(stream, t.Data, file, what, ct),
        HostTensor<int> t => ReadAsync(stream, t.Data, file, what, ct),
        HostTensor<long> t => ReadAsync(stream, t.Data, file, what, ct),
        _ => throw new NotSupportedException($"Cannot read a {tensor.ElementType} tensor."),
    };

    /// <summary>Writes the tensor's elements as little-endian bytes.</summary>
    public static void Write(Stream stream, HostTensor tensor)
    {
        switch (tensor)
        {
            case HostTensor<BFloat16> t: Write(stream, t.Data); break;
            case HostTensor<Half> t: Write(stream, t.Data); break;
            case HostTensor<float> t: Write(stream, t.Data); break;
            case HostTensor<double> t: Write(stream, t.Data); break;
            case HostTensor<bool> t: Write(stream, t.Data); break;
            case HostTensor<ushort> t: Write(stream, t.Data); break;
            case HostTensor<int> t: Write(stream, t.Data); break;
            case HostTensor<long> t: Write(stream, t.Data); break;
            default: throw new NotSupportedException($"Cannot write a {tensor.ElementType} tensor.");
        }
    }

    /// <summary>The asynchronous form of <see cref="Write(Stream, HostTensor)"/>.</summary>
    public static Task WriteAsync(Stream stream, HostTensor tensor, CancellationToken ct) => tensor switch
    {
        HostTensor<BFloat16> t => WriteAsync(stream, t.Data, ct),
        HostTensor<Half> t => WriteAsync(stream, t.Data, ct),
        HostTensor<float> t => WriteAsync(stream, t.Data, ct),
        HostTensor<double> t => WriteAsync(stream, t.Data, ct),
        HostTensor<bool> t => WriteAsync(stream, t.Data, ct),
        HostTensor<ushort> t => WriteAsync(stream, t.Data, ct),
        HostTensor<int> t => WriteAsync(stream, t.Data, ct),
        HostTensor<long> t => WriteAsync(stream, t.Data, ct),
        _ => throw new NotSupportedException($"Cannot write a {tensor.ElementType} tensor."),
    };

    private static void Read<T>(Stream stream, T[] data, string? file, string what) where T : unmanaged
    {
        int step = ElementsPerChunk<T>();
        for (int start = 0; start < data.Length; start += step)
        {
            Span<byte> bytes = MemoryMarshal.AsBytes(data.AsSpan(start, Math.Min(step, data.Length - start)));
            int got = stream.ReadAtLeast(bytes, bytes.Length, throwOnEndOfStream: false);
            if (got < bytes.Length) throw Truncated(file, what, (long)data.Length * Unsafe.SizeOf<T>(), (long)start * Unsafe.SizeOf<T>() + got);
        }
    }

    private static async Task ReadAsync<T>(Stream stream, T[] data, string? file, string what, CancellationToken ct) where T : unmanaged
    {
        byte[] buffer = ArrayPool<byte>.Shared.Rent(ChunkBytes);
        try
        {
            int step = ElementsPerChunk<T>();
            for (int start = 0; start < data.Length; start += step)
            {
                int count = Math.Min(step, data.Length - start);
                int byteCount = count * Unsafe.SizeOf<T>();
                int got = await stream.ReadAtLeastAsync(buffer.AsMemory(0, byteCount), byteCount, throwOnEndOfStream: false, ct).ConfigureAwait(false);
                if (got < byteCount) throw Truncated(file, what, (long)data.Length * Unsafe.SizeOf<T>(), (long)start * Unsafe.SizeOf<T>() + got);
                buffer.AsSpan(0, byteCount).CopyTo(MemoryMarshal.AsBytes(data.AsSpan(start, count)));
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static async Task ReadBoolsAsync(Stream stream, bool[] data, string? file, string what, CancellationToken ct)
    {
        await ReadAsync(stream, data, file, what, ct).ConfigureAwait(false);
        NormalizeBools(data);
    }

    private static void Write<T>(Stream stream, T[] data) where T : unmanaged
    {
        int step = ElementsPerChunk<T>();
        for (int start = 0; start < data.Length; start += step)
            stream.Write(MemoryMarshal.AsBytes(data.AsSpan(start, Math.Min(step, data.Length - start))));
    }

    private static async Task WriteAsync<T>(Stream stream, T[] data, CancellationToken ct) where T : unmanaged
    {
        byte[] buffer = ArrayPool<byte>.Shared.Rent(ChunkBytes);
        try
        {
            int step = ElementsPerChunk<T>();
            for (int start = 0; start < data.Length; start += step)
            {
                ReadOnlySpan<byte> bytes = MemoryMarshal.AsBytes(data.AsSpan(start, Math.Min(step, data.Length - start)));
                bytes.CopyTo(buffer);
                await stream.WriteAsync(buffer.AsMemory(0, bytes.Length), ct).ConfigureAwait(false);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>
    /// A bool byte other than 0 or 1 is not a valid .NET bool (comparisons would misbehave); files written by other
    /// tools mean "non-zero is true", so such bytes become 1.
    /// </summary>
    private static void NormalizeBools(bool[] data)
    {
        Span<byte> bytes = MemoryMarshal.AsBytes(data.AsSpan());
        for (int i = 0; i < bytes.Length; i++)
            if (bytes[i] > 1) bytes[i] = 1;
    }

    private static int ElementsPerChunk<T>() where T : unmanaged => ChunkBytes / Unsafe.SizeOf<T>();

    private static TensorFormatException Truncated(string? file, string what, long neededBytes, long gotBytes) =>
        new(file, $"{what} needs {neededBytes} bytes of data but the file ends after {gotBytes}");
}
