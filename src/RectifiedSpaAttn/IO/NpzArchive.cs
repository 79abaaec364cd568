using System.IO.Compression;
using RectifiedSpaAttn.Tensors;

namespace RectifiedSpaAttn.IO;

/// <summary>
/// Reads and writes numpy's <c>.npz</c> archives: a zip file with one <c>NAME.npy</c> entry per array, as
/// <c>np.savez</c> (stored entries) and <c>np.savez_compressed</c> (deflated entries) write them.
/// </summary>
public static class NpzArchive
{
    /// <summary>Deflate cannot expand data by more than about 1032:1; a larger claimed ratio is a corrupt (or hostile) entry.</summary>
    private const long MaxDeflateRatio = 1032;

    /// <summary>Reads every array of an .npz file, keyed by entry name without the <c>.npy</c> suffix, in archive order.</summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="TensorFormatException">The file is not a valid zip archive, an entry is not an .npy array,
    /// two entries share a name, or an array is malformed (see <see cref="NpyFile"/>).</exception>
    public static IReadOnlyDictionary<string, HostTensor> Read(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        return Read(stream, path);
    }

    /// <summary>
    /// Reads only the arrays <paramref name="include"/> accepts (called with each entry name without <c>.npy</c>, in
    /// archive order); the others are not decoded, so their dtype does not matter.
    /// </summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="TensorFormatException">As for <see cref="Read(string)"/>, for the arrays read.</exception>
    public static IReadOnlyDictionary<string, HostTensor> Read(string path, Func<string, bool> include)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(include);
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        return ReadArchive(stream, path, include);
    }

    /// <summary>Reads every array of .npz content in <paramref name="stream"/>.</summary>
    /// <param name="stream">A readable stream holding the archive; one that cannot seek is first copied to memory,
    /// since a zip archive is read from its end.</param>
    /// <param name="name">A name for the content in error messages (a file name), or null.</param>
    /// <exception cref="TensorFormatException">As for <see cref="Read(string)"/>.</exception>
    public static IReadOnlyDictionary<string, HostTensor> Read(Stream stream, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(stream);
        if (!stream.CanRead) throw new ArgumentException("The stream cannot be read.", nameof(stream));
        if (!stream.CanSeek)
        {
            using var copy = new MemoryStream();
            stream.CopyTo(copy);
            copy.Position = 0;
            return Read(copy, name);
        }
        return ReadArchive(stream, name, include: null);
    }

    private static IReadOnlyDictionary<string, HostTensor> ReadArchive(Stream stream, string? name, Func<string, bool>? include)
    {
        long archiveLength = stream.Length;
        try
        {
            using var archive = new ZipArchive(stream, ZipArchiveMode.Read, leaveOpen: true);
            var result = new OrderedDictionary<string, HostTensor>(StringComparer.Ordinal);
            foreach (ZipArchiveEntry entry in archive.Entries)
            {
                if (entry.FullName.EndsWith('/')) continue; // a folder entry holds no data
                string where = name is null ? entry.FullName : $"{name}:{entry.FullName}";
                if (!entry.FullName.EndsWith(".npy", StringComparison.Ordinal))
                    throw new TensorFormatException(name, $"the entry '{entry.FullName}' is not an .npy array (an .npz holds only NAME.npy entries)");
                string key = entry.FullName[..^4];
                if (result.ContainsKey(key))
                    throw new TensorFormatException(name, $"the archive holds the array '{key}' twice");
                if (include is not null && !include(key)) continue;
                result.Add(key, ReadEntry(entry, archiveLength, where));
            }
            return result;
        }
        catch (InvalidDataException e)
        {
            // System.IO.Compression reports a damaged archive, directory or entry this way.
            throw new TensorFormatException(name, $"not a valid .npz (zip) archive: {e.Message}", e);
        }
    }

    /// <summary>
    /// Writes the tensors as an .npz archive (one stored <c>NAME.npy</c> entry each, like <c>np.savez</c>),
    /// replacing <paramref name="path"/> atomically.
    /// </summary>
    /// <exception cref="ArgumentException">A name is empty or repeated, a tensor is null, or a tensor is bf16 (npy has no such dtype).</exception>
    public static void Write(string path, IEnumerable<KeyValuePair<string, HostTensor>> tensors) =>
        Write(path, tensors, CompressionLevel.NoCompression);

    /// <summary>
    /// Writes the tensors as an .npz archive with the given compression (<see cref="CompressionLevel.NoCompression"/>
    /// as <c>np.savez</c>, any other level deflates as <c>np.savez_compressed</c>), replacing <paramref name="path"/> atomically.
    /// </summary>
    /// <exception cref="ArgumentException">A name is empty or repeated, a tensor is null, or a tensor is bf16 (npy has no such dtype).</exception>
    public static void Write(string path, IEnumerable<KeyValuePair<string, HostTensor>> tensors, CompressionLevel compression)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var list = Validate(tensors);
        AtomicFile.Write(path, stream => WriteTo(stream, list, compression));
    }

    /// <summary>Writes the tensors as an .npz archive to <paramref name="stream"/>, which stays open.</summary>
    /// <exception cref="ArgumentException">As for <see cref="Write(string, IEnumerable{KeyValuePair{string, HostTensor}})"/>, or the stream cannot be written.</exception>
    public static void Write(Stream stream, IEnumerable<KeyValuePair<string, HostTensor>> tensors, CompressionLevel compression = CompressionLevel.NoCompression)
    {
        ArgumentNullException.ThrowIfNull(stream);
        if (!stream.CanWrite) throw new ArgumentException("The stream cannot be written.", nameof(stream));
        WriteTo(stream, Validate(tensors), compression);
    }

    private static HostTensor ReadEntry(ZipArchiveEntry entry, long archiveLength, string where)
    {
        // Entry sizes come from the archive's directory and may lie; the bounds below stop a tiny file from making us
        // allocate for a huge claimed array. Reading then checks the real decompressed length against the claim.
        if (entry.CompressedLength > archiveLength)
            throw new TensorFormatException(where, $"the entry claims {entry.CompressedLength} compressed bytes, more than the {archiveLength}-byte archive");
        if (entry.Length > Math.Max(entry.CompressedLength, 1) * MaxDeflateRatio)
            throw new TensorFormatException(where, $"the entry claims to expand {entry.CompressedLength} bytes to {entry.Length}, beyond what deflate can do; the archive is corrupt");
        // An entry that claims to expand (deflate) may claim up to 1032 times the archive; its real length is counted
        // first, so that only bytes that truly come out of it can make us allocate.
        if (entry.Length > entry.CompressedLength) CheckInflatedLength(entry, where);
        using Stream data = entry.Open();
        HostTensor tensor = NpyReader.Read(data, entry.Length, where);
        if (data.ReadByte() >= 0)
            throw new TensorFormatException(where, $"the entry holds more data than its declared {entry.Length} bytes");
        return tensor;
    }

    /// <summary>Decompresses <paramref name="entry"/> once without keeping its bytes, and requires its declared length.</summary>
    private static void CheckInflatedLength(ZipArchiveEntry entry, string where)
    {
        using Stream data = entry.Open();
        var chunk = new byte[1 << 16];
        long total = 0;
        int read;
        while ((read = data.Read(chunk)) > 0)
        {
            total += read;
            if (total > entry.Length)
                throw new TensorFormatException(where, $"the entry holds more data than its declared {entry.Length} bytes");
        }
        if (total < entry.Length)
            throw new TensorFormatException(where, $"the entry holds {total} bytes, fewer than its declared {entry.Length}");
    }

    private static List<KeyValuePair<string, HostTensor>> Validate(IEnumerable<KeyValuePair<string, HostTensor>> tensors)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        var list = tensors.ToList();
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach ((string name, HostTensor tensor) in list)
        {
            if (string.IsNullOrEmpty(name)) throw new ArgumentException("A tensor name is null or empty.", nameof(tensors));
            if (!names.Add(name)) throw new ArgumentException($"The tensor name '{name}' appears twice.", nameof(tensors));
            if (tensor is null) throw new ArgumentException($"Tensor '{name}' is null.", nameof(tensors));
            if (DTypeNames.ToNpy(tensor.ElementType) is null)
                throw new ArgumentException($"Tensor '{name}' is {tensor.ElementType}, which npy cannot represent; write .safetensors or convert it with ConvertTo<float>() first.", nameof(tensors));
        }
        return list;
    }

    private static void WriteTo(Stream stream, List<KeyValuePair<string, HostTensor>> tensors, CompressionLevel compression)
    {
        using var archive = new ZipArchive(stream, ZipArchiveMode.Create, leaveOpen: true);
        foreach ((string name, HostTensor tensor) in tensors)
        {
            ZipArchiveEntry entry = archive.CreateEntry(name + ".npy", compression);
            using Stream data = entry.Open();
            NpyFile.Write(data, tensor);
        }
    }
}
