using RectifiedSpaAttn.Tensors;

namespace RectifiedSpaAttn.IO;

/// <summary>
/// Reads and writes single arrays in numpy's <c>.npy</c> format (versions 1.0, 2.0 and 3.0), as <c>np.save</c> and
/// <c>np.load</c> do: little-endian, C order, dtypes <c>&lt;f2 &lt;f4 &lt;f8 |b1 &lt;u2 &lt;i4 &lt;i8</c>.
/// </summary>
/// <remarks>
/// Big-endian, Fortran-ordered, structured and object (pickled) arrays are rejected with a
/// <see cref="TensorFormatException"/> that says so. npy has no bfloat16 dtype, so bf16 tensors cannot be written
/// here (use <see cref="SafeTensorsFile"/>, or convert to float32 first).
/// </remarks>
public static class NpyFile
{
    /// <summary>Reads the array in an .npy file.</summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="TensorFormatException">The file is malformed, truncated, has trailing bytes or an unsupported dtype or layout.</exception>
    public static HostTensor Read(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        return NpyReader.Read(stream, stream.Length, path);
    }

    /// <summary>Reads an .npy array from the current position of <paramref name="stream"/> to its end.</summary>
    /// <param name="stream">A readable stream; one that cannot seek is first copied to memory so its length is known.</param>
    /// <exception cref="TensorFormatException">The content is malformed, truncated, has trailing bytes or an unsupported dtype or layout.</exception>
    public static HostTensor Read(Stream stream) => Read(stream, null);

    /// <summary>Reads an .npy array from the current position of <paramref name="stream"/> to its end.</summary>
    /// <param name="stream">A readable stream; one that cannot seek is first copied to memory so its length is known.</param>
    /// <param name="name">A name for the content in error messages (a file name), or null.</param>
    /// <exception cref="TensorFormatException">The content is malformed, truncated, has trailing bytes or an unsupported dtype or layout.</exception>
    public static HostTensor Read(Stream stream, string? name)
    {
        ArgumentNullException.ThrowIfNull(stream);
        if (!stream.CanRead) throw new ArgumentException("The stream cannot be read.", nameof(stream));
        if (stream.CanSeek) return NpyReader.Read(stream, stream.Length - stream.Position, name);
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        copy.Position = 0;
        return NpyReader.Read(copy, copy.Length, name);
    }

    /// <summary>Writes <paramref name="tensor"/> to an .npy file exactly as <c>np.save</c> would, replacing it atomically.</summary>
    /// <exception cref="ArgumentException">The tensor is bf16, which npy cannot represent.</exception>
    public static void Write(string path, HostTensor tensor)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        byte[] preamble = Preamble(tensor);
        AtomicFile.Write(path, stream => WriteTo(stream, preamble, tensor));
    }

    /// <summary>Writes <paramref name="tensor"/> in .npy format at the current position of <paramref name="stream"/>.</summary>
    /// <exception cref="ArgumentException">The tensor is bf16, which npy cannot represent, or the stream cannot be written.</exception>
    public static void Write(Stream stream, HostTensor tensor)
    {
        ArgumentNullException.ThrowIfNull(stream);
        if (!stream.CanWrite) throw new ArgumentException("The stream cannot be written.", nameof(stream));
        WriteTo(stream, Preamble(tensor), tensor);
    }

    private static byte[] Preamble(HostTensor tensor)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        string descr = DTypeNames.ToNpy(tensor.ElementType) ?? throw new ArgumentException(
            $"npy has no dtype for {tensor.ElementType} (tensor {tensor.ShapeText}); write it to .safetensors, or convert it with ConvertTo<float>() first.",
            nameof(tensor));
        return NpyHeader.Format(descr, tensor.Shape);
    }

    private static void WriteTo(Stream stream, byte[] preamble, HostTensor tensor)
    {
        stream.Write(preamble);
        TensorData.Write(stream, tensor);
    }
}
