using System.Buffers.Binary;
using System.Text;
using RectifiedSpaAttn.Tensors;

namespace RectifiedSpaAttn.IO;

/// <summary>Reads one .npy array from a stream whose length is known, checking every size before allocating.</summary>
internal static class NpyReader
{
    private static readonly Encoding StrictUtf8 = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>
    /// Reads an array from <paramref name="stream"/>, which holds exactly <paramref name="available"/> more bytes:
    /// fewer than the header and shape require, or more, is a <see cref="TensorFormatException"/>.
    /// </summary>
    public static HostTensor Read(Stream stream, long available, string? file)
    {
        Span<byte> prefix = stackalloc byte[12];
        int want = (int)Math.Clamp(available, 0, 10);
        int got = stream.ReadAtLeast(prefix[..want], want, throwOnEndOfStream: false);
        int magicBytes = Math.Min(got, NpyHeader.Magic.Length);
        if (got == 0 || !prefix[..magicBytes].SequenceEqual(NpyHeader.Magic[..magicBytes]))
            throw new TensorFormatException(file, $"not an .npy file: it starts with {Hex(prefix[..magicBytes])} instead of the magic 93 4E 55 4D 50 59 (\\x93NUMPY)");
        if (got < 10)
            throw new TensorFormatException(file, $"the npy preamble is truncated: the file has {got} bytes, the preamble needs at least 10");

        byte major = prefix[6], minor = prefix[7];
        if (minor != 0 || major is not (1 or 2 or 3))
            throw new TensorFormatException(file, $"unsupported npy format version {major}.{minor}; versions 1.0, 2.0 and 3.0 are supported");
        long headerLength;
        int prefixBytes;
        if (major == 1)
        {
            headerLength = BinaryPrimitives.ReadUInt16LittleEndian(prefix[8..]);
            prefixBytes = 10;
        }
        else
        {
            if (available < 12 || stream.ReadAtLeast(prefix[10..12], 2, throwOnEndOfStream: false) < 2)
                throw new TensorFormatException(file, $"the npy preamble is truncated: version {major}.0 needs a 4-byte header length");
            headerLength = BinaryPrimitives.ReadUInt32LittleEndian(prefix[8..]);
            prefixBytes = 12;
        }
        if (headerLength > NpyHeader.MaxHeaderBytes)
            throw new TensorFormatException(file, $"the npy header length {headerLength} is absurd (the limit is {NpyHeader.MaxHeaderBytes} bytes)");
        if (headerLength > available - prefixBytes)
            throw new TensorFormatException(file, $"the npy header is truncated: it declares {headerLength} bytes but only {available - prefixBytes} follow");

        var headerBytes = new byte[headerLength];
        if (stream.ReadAtLeast(headerBytes, headerBytes.Length, throwOnEndOfStream: false) < headerBytes.Length)
            throw new TensorFormatException(file, $"the npy header is truncated: the stream ends inside its {headerLength} bytes");
        string text;
        try
        {
            // 1.0 and 2.0 headers are latin-1; 3.0 allows UTF-8.
            text = major == 3 ? StrictUtf8.GetString(headerBytes) : Encoding.Latin1.GetString(headerBytes);
        }
        catch (DecoderFallbackException e)
        {
            throw new TensorFormatException(file, "the npy 3.0 header is not valid UTF-8", e);
        }

        (ElementType type, int[] shape, long count) = NpyHeader.Interpret(text, file);
        long needed = count * type.SizeInBytes();
        long data = available - prefixBytes - headerLength;
        if (data < needed)
            throw new TensorFormatException(file, $"the npy data is truncated: shape [{string.Join(", ", shape)}] of '{DTypeNames.ToNpy(type)}' needs {needed} bytes but the file has {data}");
        if (data > needed)
            throw new TensorFormatException(file, $"the npy file has {data - needed} bytes of trailing data after the {needed} bytes its shape [{string.Join(", ", shape)}] needs");

        HostTensor tensor = TensorData.Allocate(type, shape);
        TensorData.Read(stream, tensor, file, "the npy array");
        return tensor;
    }

    private static string Hex(ReadOnlySpan<byte> bytes) =>
        bytes.IsEmpty ? "nothing (the file is empty)" : BitConverter.ToString(bytes.ToArray()).Replace('-', ' ');
}
