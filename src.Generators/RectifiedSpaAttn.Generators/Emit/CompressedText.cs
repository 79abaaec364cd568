using System.IO;
using System.IO.Compression;
using System.Text;

namespace RectifiedSpaAttn.Generators.Emit;

/// <summary>
/// Writes a kernel module's text (PTX, OpenCL C) into generated code compressed: a byte array of its UTF-8 bytes under
/// raw Deflate, wrapped in <c>KernelSource.FromDeflate</c>, which decodes it on first use. Stored as text, the modules
/// were most of the size of a library with many kernel variants; compressed they take about a tenth.
/// </summary>
internal static class CompressedText
{
    private const int BytesPerLine = 32;

    /// <summary>A C# expression of type <c>RectifiedSpaAttn.Compute.KernelSource</c> holding <paramref name="text"/>.</summary>
    public static string Expression(string text, string indent)
    {
        byte[] compressed = Deflate(text);
        var sb = new StringBuilder("global::RectifiedSpaAttn.Compute.KernelSource.FromDeflate(new byte[] {");
        for (int i = 0; i < compressed.Length; i++)
        {
            if (i % BytesPerLine == 0) sb.Append('\n').Append(indent);
            sb.Append(compressed[i]).Append(',');
        }
        return sb.Append(" })").ToString();
    }

    /// <summary>Raw Deflate of the UTF-8 bytes of <paramref name="text"/>, as <c>KernelSource</c> reads it back.</summary>
    public static byte[] Deflate(string text)
    {
        byte[] utf8 = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false).GetBytes(text);
        using var output = new MemoryStream();
        using (var deflate = new DeflateStream(output, CompressionLevel.Optimal, leaveOpen: true))
            deflate.Write(utf8, 0, utf8.Length);
        return output.ToArray();
    }
}
