using RectifiedSpaAttn.Tensors;

namespace RectifiedSpaAttn.IO;

/// <summary>Loads the tensors of a file in any supported format, chosen by its extension.</summary>
public static class TensorFile
{
    /// <summary>The extensions <see cref="Load(string)"/> understands.</summary>
    public static IReadOnlyList<string> SupportedExtensions { get; } = [".safetensors", ".npz", ".npy"];

    /// <summary>
    /// Loads every tensor of <paramref name="path"/>: a <c>.safetensors</c> file (in header order, metadata dropped;
    /// use <see cref="SafeTensorsFile"/> to keep it), an <c>.npz</c> archive (entry names without <c>.npy</c>), or an
    /// <c>.npy</c> file (one tensor named after the file without its extension). Extensions are matched ignoring case.
    /// </summary>
    /// <exception cref="ArgumentException">The extension is none of <see cref="SupportedExtensions"/>.</exception>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="TensorFormatException">The file is malformed.</exception>
    public static IReadOnlyDictionary<string, HostTensor> Load(string path) => Load(path, include: null);

    /// <summary>
    /// Loads the tensors of <paramref name="path"/> that <paramref name="include"/> accepts (all when it is null), as
    /// <see cref="Load(string)"/> does; the others are not decoded, so a tensor of a dtype this library does not read
    /// (U8, F8_E4M3) does not refuse the file unless it is asked for.
    /// </summary>
    /// <exception cref="ArgumentException">The extension is none of <see cref="SupportedExtensions"/>.</exception>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="TensorFormatException">The file is malformed, or an included tensor cannot be read.</exception>
    public static IReadOnlyDictionary<string, HostTensor> Load(string path, Func<string, bool>? include)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        string extension = Path.GetExtension(path).ToLowerInvariant();
        if (!SupportedExtensions.Contains(extension))
            throw new ArgumentException(
                $"'{path}' has {(extension.Length == 0 ? "no extension" : $"the extension '{extension}'")}; supported tensor files are {string.Join(", ", SupportedExtensions)}",
                nameof(path));
        if (!File.Exists(path))
            throw new FileNotFoundException($"tensor file '{path}' does not exist", path);
        switch (extension)
        {
            case ".safetensors":
                SafeTensorsFile file = include is null ? SafeTensorsFile.Read(path) : SafeTensorsFile.Read(path, include);
                var ordered = new OrderedDictionary<string, HostTensor>(StringComparer.Ordinal);
                foreach (string name in file.Names) ordered.Add(name, file[name]);
                return ordered;
            case ".npz":
                return include is null ? NpzArchive.Read(path) : NpzArchive.Read(path, include);
            default:
                string arrayName = Path.GetFileNameWithoutExtension(path);
                if (include is not null && !include(arrayName)) return new Dictionary<string, HostTensor>(StringComparer.Ordinal);
                return new Dictionary<string, HostTensor>(StringComparer.Ordinal) { [arrayName] = NpyFile.Read(path) };
        }
    }
}
