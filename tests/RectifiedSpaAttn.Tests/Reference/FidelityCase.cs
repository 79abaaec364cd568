using System.Buffers.Binary;
using System.Text.Json;
using RectifiedSpaAttn.Numerics;
using RectifiedSpaAttn.Tensors;
using RectifiedSpaAttn.Tests.TestSupport;

namespace RectifiedSpaAttn.Tests.Reference;

/// <summary>
/// The shared fidelity case (authors' pipeline on an H100), read with a minimal .safetensors reader of its own so these
/// tests depend on nothing but the file: 8-byte little-endian header length, JSON header, raw little-endian data.
/// </summary>
internal sealed class FidelityCase
{
    private readonly byte[] _bytes;
    private readonly JsonElement _header;
    private readonly long _dataStart;

    private FidelityCase(byte[] bytes)
    {
        _bytes = bytes;
        long headerLength = BinaryPrimitives.ReadInt64LittleEndian(bytes);
        _header = JsonDocument.Parse(bytes.AsMemory(8, (int)headerLength)).RootElement;
        _dataStart = 8 + headerLength;
    }

    public static FidelityCase Load() => new(File.ReadAllBytes(SharedData.Path("fidelity", "wan_d64_ff0.safetensors")));

    public string Metadata(string key) => _header.GetProperty("__metadata__").GetProperty(key).GetString()!;

    public HostTensor Get(string name)
    {
        JsonElement entry = _header.GetProperty(name);
        int[] shape = entry.GetProperty("shape").EnumerateArray().Select(e => e.GetInt32()).ToArray();
        long begin = _dataStart + entry.GetProperty("data_offsets")[0].GetInt64();
        long end = _dataStart + entry.GetProperty("data_offsets")[1].GetInt64();
        ReadOnlySpan<byte> data = _bytes.AsSpan((int)begin, (int)(end - begin));
        switch (entry.GetProperty("dtype").GetString())
        {
            case "BF16":
            {
                var t = new HostTensor<BFloat16>(shape);
                data.CopyTo(t.AsWritableBytes());
                return t;
            }
            case "F32":
            {
                var t = new HostTensor<float>(shape);
                data.CopyTo(t.AsWritableBytes());
                return t;
            }
            case "BOOL":
            {
                var t = new HostTensor<bool>(shape);
                for (int i = 0; i < data.Length; i++) t.Span[i] = data[i] != 0;
                return t;
            }
            default: throw new NotSupportedException(entry.GetProperty("dtype").GetString());
        }
    }
}
