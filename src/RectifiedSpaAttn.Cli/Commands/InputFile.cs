using RectifiedSpaAttn.IO;
using RectifiedSpaAttn.Tensors;

namespace RectifiedSpaAttn.Cli.Commands;

/// <summary>
/// The tensors a command uses from an input file (and, for .safetensors, the metadata), looked up by name with
/// helpful errors. Only the named tensors are read: the others are skipped unread whatever their dtype, so an
/// unrelated U8 or F8 tensor does not refuse the file.
/// </summary>
internal sealed class InputFile
{
    private readonly IReadOnlyDictionary<string, HostTensor> _tensors;
    private readonly IReadOnlyList<string> _allNames;

    private InputFile(string path, IReadOnlyDictionary<string, HostTensor> tensors, IReadOnlyList<string> allNames, IReadOnlyDictionary<string, string> metadata)
    {
        Path = path;
        _tensors = tensors;
        _allNames = allNames;
        Metadata = metadata;
    }

    public string Path { get; }

    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>Reads the tensors called <paramref name="wanted"/> that <paramref name="path"/> has, and its metadata.</summary>
    public static InputFile Load(string path, params IEnumerable<string> wanted)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"input file '{path}' does not exist", path);
        var names = new HashSet<string>(wanted, StringComparer.Ordinal);
        var all = new List<string>();
        bool Include(string name)
        {
            all.Add(name); // every name the file holds, for "it has: ..." in errors
            return names.Contains(name);
        }
        if (path.EndsWith(".safetensors", StringComparison.OrdinalIgnoreCase))
        {
            SafeTensorsFile file = SafeTensorsFile.Read(path, Include);
            return new InputFile(path, file.Names.ToDictionary(n => n, n => file[n]), all, file.Metadata);
        }
        return new InputFile(path, TensorFile.Load(path, Include), all, new Dictionary<string, string>());
    }

    public bool Contains(string name) => _tensors.ContainsKey(name);

    /// <summary>
    /// The tensor <paramref name="name"/> when the file has one that can be read, else null: for tensors a command only
    /// uses when present (a reference output or mask to compare with), which must never refuse the file.
    /// </summary>
    public HostTensor? TryGetOptional(string name)
    {
        if (_tensors.TryGetValue(name, out HostTensor? loaded)) return loaded;
        if (!_allNames.Contains(name)) return null;
        try
        {
            return Load(Path, name).Get(name);
        }
        catch (TensorFormatException)
        {
            return null; // e.g. a dtype we do not read: the comparison is skipped, the run goes on
        }
    }

    public HostTensor Get(string name) =>
        _tensors.TryGetValue(name, out HostTensor? t)
            ? t
            : throw new KeyNotFoundException($"'{Path}' has no tensor named '{name}'; it has: {(_allNames.Count == 0 ? "(none)" : string.Join(", ", _allNames))}");

    /// <summary>Splits <c>FILE:TENSOR</c> at the last colon (so Windows drive letters work); <paramref name="option"/> names the flag in errors.</summary>
    public static (string File, string Tensor) SplitSpec(string spec, string option)
    {
        int colon = spec.LastIndexOf(':');
        if (colon <= 0 || colon == spec.Length - 1)
            throw new Arguments.UsageException($"{option} expects FILE:TENSOR, got '{spec}'");
        return (spec[..colon], spec[(colon + 1)..]);
    }

    /// <summary>Loads the BOOL mask <c>FILE:TENSOR</c> given to <paramref name="option"/>.</summary>
    public static HostTensor<bool> LoadMask(string spec, string option = "--mask")
    {
        (string file, string tensor) = SplitSpec(spec, option);
        HostTensor mask = Load(file, tensor).Get(tensor);
        return mask as HostTensor<bool>
            ?? throw new ArgumentException($"{option} '{spec}' has dtype {mask.ElementType}; a critical-block mask must be BOOL [B, H, nQ, nK]");
    }
}
