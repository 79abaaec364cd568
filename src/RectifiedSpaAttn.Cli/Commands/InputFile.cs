using RectifiedSpaAttn.IO;
using RectifiedSpaAttn.Tensors;

namespace RectifiedSpaAttn.Cli.Commands;

/// <summary>The tensors (and, for .safetensors, the metadata) of an input file, looked up by name with helpful errors.</summary>
internal sealed class InputFile
{
    private readonly IReadOnlyDictionary<string, HostTensor> _tensors;

    private InputFile(string path, IReadOnlyDictionary<string, HostTensor> tensors, IReadOnlyDictionary<string, string> metadata)
    {
        Path = path;
        _tensors = tensors;
        Metadata = metadata;
    }

    public string Path { get; }

    public IReadOnlyDictionary<string, string> Metadata { get; }

    public static InputFile Load(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"input file '{path}' does not exist", path);
        if (path.EndsWith(".safetensors", StringComparison.OrdinalIgnoreCase))
        {
            SafeTensorsFile file = SafeTensorsFile.Read(path);
            return new InputFile(path, file.Names.ToDictionary(n => n, n => file[n]), file.Metadata);
        }
        return new InputFile(path, TensorFile.Load(path), new Dictionary<string, string>());
    }

    public bool Contains(string name) => _tensors.ContainsKey(name);

    public HostTensor Get(string name) =>
        _tensors.TryGetValue(name, out HostTensor? t)
            ? t
            : throw new KeyNotFoundException($"'{Path}' has no tensor named '{name}'; it has: {string.Join(", ", _tensors.Keys)}");

    /// <summary>Loads <c>FILE:TENSOR</c> (the split is at the last colon, so Windows drive letters work).</summary>
    public static HostTensor<bool> LoadMask(string spec)
    {
        int colon = spec.LastIndexOf(':');
        if (colon <= 0 || colon == spec.Length - 1)
            throw new Arguments.UsageException($"--mask expects FILE:TENSOR, got '{spec}'");
        HostTensor mask = Load(spec[..colon]).Get(spec[(colon + 1)..]);
        return mask as HostTensor<bool>
            ?? throw new ArgumentException($"mask '{spec}' has dtype {mask.ElementType}; a critical-block mask must be BOOL [B, H, nQ, nK]");
    }
}
