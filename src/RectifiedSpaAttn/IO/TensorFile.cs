using RectifiedSpaAttn.Tensors;

namespace RectifiedSpaAttn.IO;

/// <summary>Loads the tensors of a file in any supported format, chosen by its extension.</summary>
public static class TensorFile
{
    /// <summary>The extensions <see cref="Load"/> understands.</summary>
    public static IReadOnlyList<string> SupportedExtensions { get; } = [".safetensors", ".npz", ".npy"];

    /// <summary>
    /// Loads every tensor of <paramref name="path"/>: a <c>.safetensors</c> file (in header order, metadata dropped;
    /// use <see cref="SafeTensorsFile"/> to keep it), an <c>.npz</c> archive (entry names without <c>.npy</c>), or an
    /// <c>.npy</c> file (one tensor named after the file without its extension). Extensions are matched ignoring case.
    /// </summary>
    /// <exception cref="ArgumentException">The extension is none of <see cref="SupportedExtensions"/>.</exception>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="TensorFormatException">The file is malformed.</exception>
    public static IReadOnlyDictionary<string, HostTensor> Load(string path)
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
                SafeTensorsFile file = SafeTensorsFile.Read(path);
                var ordered = new OrderedDictionary<string, HostTensor>(StringComparer.Ordinal);
                foreach (string name in file.Names) ordered.Add(name, file[name]);
                return ordered;
            case ".npz":
                return NpzArchive.Read(path);
            default:
                return new Dictionary<string, HostTensor>(StringComparer.Ordinal) { [Path.GetFileNameWithoutExtension(path)] = NpyFile.Read(path) };
        }
    }
}
