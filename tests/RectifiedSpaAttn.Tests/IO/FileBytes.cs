using System.Buffers.Binary;
using System.Text;

namespace RectifiedSpaAttn.Tests.IO;

/// <summary>Hand-built file images, written byte by byte from the format specs rather than by the code under test.</summary>
internal static class FileBytes
{
    /// <summary>A .safetensors image: 8-byte little-endian length, the JSON text as given (no padding), then the data.</summary>
    public static byte[] SafeTensors(string json, byte[]? data = null) =>
        SafeTensors((ulong)Encoding.UTF8.GetByteCount(json), Encoding.UTF8.GetBytes(json), data ?? []);

    /// <summary>A .safetensors image with an arbitrary (possibly lying) header length.</summary>
    public static byte[] SafeTensors(ulong declaredLength, byte[] header, byte[] data)
    {
        var bytes = new byte[8 + header.Length + data.Length];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, declaredLength);
        header.CopyTo(bytes, 8);
        data.CopyTo(bytes, 8 + header.Length);
        return bytes;
    }

    /// <summary>An .npy image: magic, version, header length field of the version's width, header text, data.</summary>
    public static byte[] Npy(string header, byte[] data, byte major = 1, byte minor = 0, Encoding? encoding = null)
    {
        byte[] text = (encoding ?? Encoding.Latin1).GetBytes(header);
        int field = major == 1 ? 2 : 4;
        var bytes = new List<byte> { 0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y', major, minor };
        var length = new byte[field];
        if (field == 2) BinaryPrimitives.WriteUInt16LittleEndian(length, (ushort)text.Length);
        else BinaryPrimitives.WriteUInt32LittleEndian(length, (uint)text.Length);
        bytes.AddRange(length);
        bytes.AddRange(text);
        bytes.AddRange(data);
        return bytes.ToArray();
    }

    /// <summary>The little-endian bytes of some floats.</summary>
    public static byte[] Floats(params float[] values)
    {
        var bytes = new byte[values.Length * 4];
        for (int i = 0; i < values.Length; i++) BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(i * 4), values[i]);
        return bytes;
    }
}
