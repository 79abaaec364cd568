using System.Buffers;
using System.Buffers.Binary;
using System.Text.Encodings.Web;
using System.Text.Json;
using RectifiedSpaAttn.Tensors;

namespace RectifiedSpaAttn.IO;

/// <summary>
/// What a .safetensors writer will emit: the validated tensors in the caller's order, packed back to back, and the
/// header bytes describing them. Built completely before the first byte is written, so bad arguments never leave a
/// partial stream behind.
/// </summary>
internal sealed class SafeTensorsLayout
{
    private readonly List<KeyValuePair<string, HostTensor>> _tensors;
    private readonly byte[] _header;

    private SafeTensorsLayout(List<KeyValuePair<string, HostTensor>> tensors, byte[] header)
    {
        _tensors = tensors;
        _header = header;
    }

    /// <summary>Validates the arguments and encodes the header.</summary>
    /// <exception cref="ArgumentException">A name is empty, repeated or reserved, or a metadata entry is null.</exception>
    public static SafeTensorsLayout Create(IEnumerable<KeyValuePair<string, HostTensor>> tensors, IReadOnlyDictionary<string, string>? metadata)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        var list = tensors.ToList();
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach ((string name, HostTensor tensor) in list)
        {
            if (string.IsNullOrEmpty(name)) throw new ArgumentException("A tensor name is null or empty.", nameof(tensors));
            if (name == SafeTensorsHeader.MetadataKey)
                throw new ArgumentException($"'{SafeTensorsHeader.MetadataKey}' is reserved for the metadata map and cannot name a tensor.", nameof(tensors));
            if (!names.Add(name)) throw new ArgumentException($"The tensor name '{name}' appears twice.", nameof(tensors));
            if (tensor is null) throw new ArgumentException($"Tensor '{name}' is null.", nameof(tensors));
        }
        if (metadata is not null)
        {
            foreach ((string key, string value) in metadata)
                if (key is null || value is null)
                    throw new ArgumentException($"Metadata entry '{key}' has a null key or value.", nameof(metadata));
        }
        return new SafeTensorsLayout(list, EncodeHeader(list, metadata));
    }

    /// <summary>Writes the length prefix, the header and every tensor's bytes.</summary>
    public void WriteTo(Stream stream)
    {
        stream.Write(Prefix());
        stream.Write(_header);
        foreach ((_, HostTensor tensor) in _tensors) TensorData.Write(stream, tensor);
    }

    /// <summary>The asynchronous form of <see cref="WriteTo"/>.</summary>
    public async Task WriteToAsync(Stream stream, CancellationToken ct)
    {
        await stream.WriteAsync(Prefix(), ct).ConfigureAwait(false);
        await stream.WriteAsync(_header, ct).ConfigureAwait(false);
        foreach ((_, HostTensor tensor) in _tensors) await TensorData.WriteAsync(stream, tensor, ct).ConfigureAwait(false);
    }

    private byte[] Prefix()
    {
        var prefix = new byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(prefix, (ulong)_header.Length);
        return prefix;
    }

    /// <summary>
    /// Compact JSON: metadata first (when there is any), then the tensors in order. Padded with spaces to a multiple
    /// of 8 bytes so the data buffer starts 8-byte aligned, as the format recommends.
    /// </summary>
    private static byte[] EncodeHeader(List<KeyValuePair<string, HostTensor>> tensors, IReadOnlyDictionary<string, string>? metadata)
    {
        var buffer = new ArrayBufferWriter<byte>();
        // Relaxed escaping keeps non-ASCII names and characters like '+' readable; the header is never embedded in HTML.
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            json.WriteStartObject();
            if (metadata is { Count: > 0 })
            {
                json.WriteStartObject(SafeTensorsHeader.MetadataKey);
                foreach ((string key, string value) in metadata) json.WriteString(key, value);
                json.WriteEndObject();
            }
            long offset = 0;
            foreach ((string name, HostTensor tensor) in tensors)
            {
                json.WriteStartObject(name);
                json.WriteString("dtype", DTypeNames.ToSafeTensors(tensor.ElementType));
                json.WriteStartArray("shape");
                foreach (int extent in tensor.Shape) json.WriteNumberValue(extent);
                json.WriteEndArray();
                json.WriteStartArray("data_offsets");
                json.WriteNumberValue(offset);
                offset += tensor.ByteLength;
                json.WriteNumberValue(offset);
                json.WriteEndArray();
                json.WriteEndObject();
            }
            json.WriteEndObject();
        }
        int padded = (buffer.WrittenCount + 7) / 8 * 8;
        var header = new byte[padded];
        buffer.WrittenSpan.CopyTo(header);
        header.AsSpan(buffer.WrittenCount).Fill((byte)' ');
        return header;
    }
}
