using System.IO.Compression;
using System.Text;

namespace RectifiedSpaAttn.Compute;

/// <summary>
/// The text of a kernel module (PTX or OpenCL C) as it is stored in an assembly: UTF-8 compressed with raw Deflate by
/// the kernel compiler, decoded once, on first use. A library carries every variant of every kernel, and most of them
/// are never launched in one process, so the text is paid for only where it is needed; compressed, the modules take
/// about a tenth of the assembly they would take as text.
/// </summary>
public sealed class KernelSource
{
    private readonly Lazy<string> _text;

    private KernelSource(Func<string> decode) => _text = new Lazy<string>(decode, LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>A source held as plain text (hand-written variants and tests).</summary>
    public static KernelSource FromText(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return new KernelSource(() => text);
    }

    /// <summary>
    /// A source stored as raw Deflate of its UTF-8 bytes (what generated code passes). The bytes are decompressed on
    /// the first read of <see cref="Text"/> and not before; <paramref name="compressed"/> must not change afterwards.
    /// </summary>
    public static KernelSource FromDeflate(byte[] compressed)
    {
        ArgumentNullException.ThrowIfNull(compressed);
        return new KernelSource(() => Inflate(compressed));
    }

    /// <summary>The module text, decompressed on first use.</summary>
    public string Text => _text.Value;

    /// <summary>Wraps plain text, so hand-written variants can pass strings where a source is expected.</summary>
    public static implicit operator KernelSource(string text) => FromText(text);

    /// <inheritdoc/>
    public override string ToString() => Text;

    private static string Inflate(byte[] compressed)
    {
        try
        {
            using var input = new DeflateStream(new MemoryStream(compressed, writable: false), CompressionMode.Decompress);
            using var reader = new StreamReader(input, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true));
            return reader.ReadToEnd();
        }
        catch (Exception e) when (e is InvalidDataException or DecoderFallbackException)
        {
            throw new InvalidOperationException(
                "A kernel module stored in the assembly could not be decompressed: the assembly is damaged or was built by an incompatible kernel compiler.", e);
        }
    }
}
