using System.Collections.ObjectModel;
using RectifiedSpaAttn.Tensors;

namespace RectifiedSpaAttn.IO;

/// <summary>
/// The tensors and metadata of a <c>.safetensors</c> file
/// (<see href="https://github.com/huggingface/safetensors">format</see>): an 8-byte little-endian header length,
/// a UTF-8 JSON header naming each tensor's dtype, shape and byte range, then the packed little-endian data.
/// </summary>
/// <remarks>
/// Reading validates the whole header against the file length before allocating anything; every malformed or
/// hostile input gives a <see cref="TensorFormatException"/>. Supported dtypes: BF16, F16, F32, F64, BOOL, U16,
/// I32, I64 (see <see cref="ElementType"/>).
/// </remarks>
public sealed class SafeTensorsFile
{
    private readonly string? _file;
    private readonly Dictionary<string, HostTensor> _tensors;

    internal SafeTensorsFile(string? file, string[] names, Dictionary<string, HostTensor> tensors, Dictionary<string, string> metadata)
    {
        _file = file;
        Names = Array.AsReadOnly(names);
        _tensors = tensors;
        Metadata = new ReadOnlyDictionary<string, string>(metadata);
    }

    /// <summary>The tensor names, in the order the file's header lists them.</summary>
    public IReadOnlyList<string> Names { get; }

    /// <summary>The number of tensors.</summary>
    public int Count => Names.Count;

    /// <summary>The header's <c>__metadata__</c> string map; empty when the file has none.</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>The tensor called <paramref name="name"/>, with the element type the file stores.</summary>
    /// <exception cref="KeyNotFoundException">There is no such tensor; the message lists those there are.</exception>
    public HostTensor this[string name]
    {
        get
        {
            ArgumentNullException.ThrowIfNull(name);
            return _tensors.TryGetValue(name, out HostTensor? tensor)
                ? tensor
                : throw new KeyNotFoundException($"{Describe()} has no tensor named '{name}'; it has: {(Count == 0 ? "(none)" : string.Join(", ", Names))}");
        }
    }

    /// <summary>Whether the file holds a tensor called <paramref name="name"/>.</summary>
    public bool Contains(string name) => name is not null && _tensors.ContainsKey(name);

    /// <summary>Gets the tensor called <paramref name="name"/> when there is one.</summary>
    public bool TryGetValue(string name, [System.Diagnostics.CodeAnalysis.MaybeNullWhen(false)] out HostTensor tensor)
    {
        tensor = null;
        return name is not null && _tensors.TryGetValue(name, out tensor);
    }

    /// <summary>The tensor called <paramref name="name"/>, typed; its stored dtype must be <typeparamref name="T"/>.</summary>
    /// <exception cref="KeyNotFoundException">There is no such tensor.</exception>
    /// <exception cref="InvalidOperationException">The tensor's dtype is not <typeparamref name="T"/>
    /// (use <see cref="HostTensor.ConvertTo{TTo}"/> to convert).</exception>
    public HostTensor<T> Get<T>(string name) where T : unmanaged
    {
        HostTensor tensor = this[name];
        return tensor as HostTensor<T> ?? throw new InvalidOperationException(
            $"Tensor '{name}' in {Describe()} is {DTypeNames.ToSafeTensors(tensor.ElementType)} {tensor.ShapeText}, not {typeof(T).Name}; " +
            $"read it untyped with the indexer and convert with ConvertTo<{typeof(T).Name}>() if a conversion is intended.");
    }

    /// <summary>Reads a .safetensors file.</summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="TensorFormatException">The file is malformed, truncated or uses an unsupported dtype.</exception>
    public static SafeTensorsFile Read(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        return SafeTensorsReader.Read(stream, path);
    }

    /// <summary>
    /// Reads only the tensors <paramref name="include"/> accepts; the others are stepped over unread, whatever their
    /// dtype (even one this library does not read, such as U8 or F8_E4M3), though their byte ranges are still checked.
    /// <see cref="Names"/> then lists the tensors read.
    /// </summary>
    /// <param name="path">The file.</param>
    /// <param name="include">Called once per tensor name in the header, in header order; true to read the tensor.</param>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="TensorFormatException">The file is malformed or truncated, or an included tensor has an unsupported dtype.</exception>
    public static SafeTensorsFile Read(string path, Func<string, bool> include)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(include);
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        return SafeTensorsReader.Read(stream, path, include);
    }

    /// <summary>Reads .safetensors content from the current position of <paramref name="stream"/> to its end.</summary>
    /// <param name="stream">A readable stream; one that cannot seek is first copied to memory so its length is known.</param>
    /// <param name="name">A name for the content in error messages (a file name), or null.</param>
    /// <exception cref="TensorFormatException">The content is malformed, truncated or uses an unsupported dtype.</exception>
    public static SafeTensorsFile Read(Stream stream, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(stream);
        if (!stream.CanRead) throw new ArgumentException("The stream cannot be read.", nameof(stream));
        if (stream.CanSeek) return SafeTensorsReader.Read(stream, name);
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        copy.Position = 0;
        return SafeTensorsReader.Read(copy, name);
    }

    /// <summary>Reads a .safetensors file asynchronously.</summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="TensorFormatException">The file is malformed, truncated or uses an unsupported dtype.</exception>
    public static async Task<SafeTensorsFile> ReadAsync(string path, CancellationToken ct = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        await using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, useAsync: true);
        return await SafeTensorsReader.ReadAsync(stream, path, ct).ConfigureAwait(false);
    }

    /// <summary>
    /// Writes tensors (in the given order, packed back to back) and optional metadata to a .safetensors file,
    /// creating or replacing it atomically: the data goes to a temporary file in the same folder that is moved
    /// over <paramref name="path"/> only when complete.
    /// </summary>
    /// <exception cref="ArgumentException">A tensor name is empty, repeated or <c>__metadata__</c>, or a tensor or
    /// metadata value is null.</exception>
    public static void Write(string path, IEnumerable<KeyValuePair<string, HostTensor>> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        SafeTensorsLayout layout = SafeTensorsLayout.Create(tensors, metadata);
        AtomicFile.Write(path, layout.WriteTo);
    }

    /// <summary>
    /// Writes tensors and optional metadata in .safetensors format at the current position of
    /// <paramref name="stream"/>. Arguments are validated before the first byte is written.
    /// </summary>
    /// <exception cref="ArgumentException">As for <see cref="Write(string, IEnumerable{KeyValuePair{string, HostTensor}}, IReadOnlyDictionary{string, string}?)"/>,
    /// or the stream cannot be written.</exception>
    public static void Write(Stream stream, IEnumerable<KeyValuePair<string, HostTensor>> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(stream);
        if (!stream.CanWrite) throw new ArgumentException("The stream cannot be written.", nameof(stream));
        SafeTensorsLayout.Create(tensors, metadata).WriteTo(stream);
    }

    /// <summary>The asynchronous form of <see cref="Write(string, IEnumerable{KeyValuePair{string, HostTensor}}, IReadOnlyDictionary{string, string}?)"/>; equally atomic.</summary>
    public static Task WriteAsync(string path, IEnumerable<KeyValuePair<string, HostTensor>> tensors, IReadOnlyDictionary<string, string>? metadata = null, CancellationToken ct = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        SafeTensorsLayout layout = SafeTensorsLayout.Create(tensors, metadata);
        return AtomicFile.WriteAsync(path, layout.WriteToAsync, ct);
    }

    /// <summary>The asynchronous form of <see cref="Write(Stream, IEnumerable{KeyValuePair{string, HostTensor}}, IReadOnlyDictionary{string, string}?)"/>.</summary>
    public static Task WriteAsync(Stream stream, IEnumerable<KeyValuePair<string, HostTensor>> tensors, IReadOnlyDictionary<string, string>? metadata = null, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(stream);
        if (!stream.CanWrite) throw new ArgumentException("The stream cannot be written.", nameof(stream));
        return SafeTensorsLayout.Create(tensors, metadata).WriteToAsync(stream, ct);
    }

    private string Describe() => _file is null ? "the safetensors content" : $"'{_file}'";
}
