using System.Buffers.Binary;
using RectifiedSpaAttn.Tensors;

namespace RectifiedSpaAttn.IO;

/// <summary>
/// Reads a .safetensors stream: length prefix, header, data. Every size is checked against the bytes actually
/// available before anything is allocated.
/// </summary>
internal static class SafeTensorsReader
{
    /// <summary>Reads a seekable stream from its current position to its end.</summary>
    /// <param name="stream">The stream.</param>
    /// <param name="file">The file name for error messages, or null.</param>
    /// <param name="include">Which tensors to read (null: all); the others are stepped over unread, whatever their dtype.</param>
    public static SafeTensorsFile Read(Stream stream, string? file, Func<string, bool>? include = null)
    {
        long available = stream.Length - stream.Position;
        Span<byte> prefix = stackalloc byte[8];
        if (available < 8 || stream.ReadAtLeast(prefix, 8, throwOnEndOfStream: false) < 8)
            throw new TensorFormatException(file, $"the file is {Math.Max(available, 0)} bytes long, shorter than the 8-byte header length that starts a .safetensors file");
        int headerLength = CheckHeaderLength(BinaryPrimitives.ReadUInt64LittleEndian(prefix), available, file);
        var json = new byte[headerLength];
        ReadExactly(stream, json, file);
        SafeTensorsHeader header = SafeTensorsHeader.Parse(json, available - 8 - headerLength, file, include);
        var tensors = new Dictionary<string, HostTensor>(StringComparer.Ordinal);
        // The header validated that the tensors tile the data buffer, so reading them in offset order is one pass.
        foreach (SafeTensorsEntry entry in header.Entries.OrderBy(e => e.Begin).ThenBy(e => e.End))
        {
            if (entry.Skipped)
            {
                stream.Seek(entry.ByteLength, SeekOrigin.Current);
                continue;
            }
            HostTensor tensor = TensorData.Allocate(entry.Type, entry.Shape);
            TensorData.Read(stream, tensor, file, $"tensor '{entry.Name}'");
            tensors.Add(entry.Name, tensor);
        }
        return new SafeTensorsFile(file, header.Entries.Where(e => !e.Skipped).Select(e => e.Name).ToArray(), tensors, header.Metadata);
    }

    /// <summary>The asynchronous form of <see cref="Read"/>.</summary>
    public static async Task<SafeTensorsFile> ReadAsync(Stream stream, string? file, CancellationToken ct)
    {
        long available = stream.Length - stream.Position;
        var prefix = new byte[8];
        if (available < 8 || await stream.ReadAtLeastAsync(prefix, 8, throwOnEndOfStream: false, ct).ConfigureAwait(false) < 8)
            throw new TensorFormatException(file, $"the file is {Math.Max(available, 0)} bytes long, shorter than the 8-byte header length that starts a .safetensors file");
        int headerLength = CheckHeaderLength(BinaryPrimitives.ReadUInt64LittleEndian(prefix), available, file);
        var json = new byte[headerLength];
        if (await stream.ReadAtLeastAsync(json, headerLength, throwOnEndOfStream: false, ct).ConfigureAwait(false) < headerLength)
            throw new TensorFormatException(file, $"the file ends inside its {headerLength}-byte header");
        SafeTensorsHeader header = SafeTensorsHeader.Parse(json, available - 8 - headerLength, file);
        var tensors = new Dictionary<string, HostTensor>(StringComparer.Ordinal);
        foreach (SafeTensorsEntry entry in header.Entries.OrderBy(e => e.Begin).ThenBy(e => e.End))
        {
            HostTensor tensor = TensorData.Allocate(entry.Type, entry.Shape);
            await TensorData.ReadAsync(stream, tensor, file, $"tensor '{entry.Name}'", ct).ConfigureAwait(false);
            tensors.Add(entry.Name, tensor);
        }
        return new SafeTensorsFile(file, header.Entries.Select(e => e.Name).ToArray(), tensors, header.Metadata);
    }

    private static int CheckHeaderLength(ulong length, long available, string? file)
    {
        if (length > SafeTensorsHeader.MaxHeaderBytes)
            throw new TensorFormatException(file, $"the header length {length} is absurd (the limit is {SafeTensorsHeader.MaxHeaderBytes} bytes); this is not a .safetensors file or it is corrupt");
        if ((long)length > available - 8)
            throw new TensorFormatException(file, $"the header length {length} exceeds the {available - 8} bytes that follow the length field");
        if (length < 2)
            throw new TensorFormatException(file, $"the header length {length} is too short for a JSON object");
        return (int)length;
    }

    private static void ReadExactly(Stream stream, byte[] buffer, string? file)
    {
        if (stream.ReadAtLeast(buffer, buffer.Length, throwOnEndOfStream: false) < buffer.Length)
            throw new TensorFormatException(file, $"the file ends inside its {buffer.Length}-byte header");
    }
}
