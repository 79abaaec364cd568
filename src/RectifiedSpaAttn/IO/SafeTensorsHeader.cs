using System.Text;
using System.Text.Json;
using RectifiedSpaAttn.Tensors;

namespace RectifiedSpaAttn.IO;

/// <summary>
/// Parses and validates a .safetensors JSON header against the length of the data buffer that follows it, so that
/// nothing is allocated for a tensor the file cannot hold.
/// </summary>
internal sealed class SafeTensorsHeader
{
    /// <summary>The JSON key of the free-form string map.</summary>
    public const string MetadataKey = "__metadata__";

    /// <summary>Headers beyond this are refused before being read (the reference implementation's limit too).</summary>
    public const long MaxHeaderBytes = 100_000_000;

    private readonly string? _file;
    private readonly long _dataLength;
    private readonly Func<string, bool>? _include;

    private SafeTensorsHeader(string? file, long dataLength, Func<string, bool>? include)
    {
        _file = file;
        _dataLength = dataLength;
        _include = include;
    }

    /// <summary>The tensors in header (file) order, skipped ones included (they still have to tile the data buffer).</summary>
    public List<SafeTensorsEntry> Entries { get; } = [];

    /// <summary>The <c>__metadata__</c> map; empty when absent.</summary>
    public Dictionary<string, string> Metadata { get; } = new(StringComparer.Ordinal);

    /// <summary>Parses <paramref name="json"/> and checks every entry against a data buffer of <paramref name="dataLength"/> bytes.</summary>
    /// <param name="json">The header bytes.</param>
    /// <param name="dataLength">The length of the data buffer after the header.</param>
    /// <param name="file">The file name for error messages, or null.</param>
    /// <param name="include">Which tensors the caller wants (null: all); the others are marked skipped, and their dtype
    /// may be one we do not read.</param>
    /// <exception cref="TensorFormatException">Anything about the header is wrong.</exception>
    public static SafeTensorsHeader Parse(ReadOnlySpan<byte> json, long dataLength, string? file, Func<string, bool>? include = null)
    {
        var header = new SafeTensorsHeader(file, dataLength, include);
        try
        {
            var reader = new Utf8JsonReader(json, new JsonReaderOptions { CommentHandling = JsonCommentHandling.Disallow, MaxDepth = 8 });
            header.ParseRoot(ref reader);
        }
        catch (JsonException e)
        {
            throw new TensorFormatException(file, $"the header is not valid JSON: {e.Message}", e);
        }
        catch (InvalidOperationException e)
        {
            // Utf8JsonReader.GetString throws this for strings that are not valid UTF-8.
            throw new TensorFormatException(file, $"the header is not valid UTF-8 JSON: {e.Message}", e);
        }
        header.CheckLayout();
        return header;
    }

    private void ParseRoot(ref Utf8JsonReader reader)
    {
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            throw Error($"the header must be a JSON object, but starts with {Describe(ref reader)}");
        var seen = new HashSet<string>(StringComparer.Ordinal);
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            string name = reader.GetString()!;
            if (!seen.Add(name)) throw Error($"the header names '{name}' twice");
            reader.Read();
            if (name == MetadataKey) ParseMetadata(ref reader);
            else Entries.Add(ParseEntry(ref reader, name));
        }
        // The loop ends on the root's EndObject (anything else was a syntax error the reader already reported);
        // one more Read makes the reader reject non-whitespace after the object.
        if (reader.Read())
            throw Error("the header has content after its JSON object");
    }

    private void ParseMetadata(ref Utf8JsonReader reader)
    {
        if (reader.TokenType != JsonTokenType.StartObject)
            throw Error($"'{MetadataKey}' must be an object of strings, but is {Describe(ref reader)}");
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            string key = reader.GetString()!;
            reader.Read();
            if (reader.TokenType != JsonTokenType.String)
                throw Error($"'{MetadataKey}' value '{key}' must be a string, but is {Describe(ref reader)}");
            if (!Metadata.TryAdd(key, reader.GetString()!))
                throw Error($"'{MetadataKey}' names '{key}' twice");
        }
    }

    private SafeTensorsEntry ParseEntry(ref Utf8JsonReader reader, string name)
    {
        if (reader.TokenType != JsonTokenType.StartObject)
            throw Error($"tensor '{name}' must be an object with dtype, shape and data_offsets, but is {Describe(ref reader)}");
        string? dtype = null;
        List<long>? shape = null, offsets = null;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            string key = reader.GetString()!;
            reader.Read();
            switch (key)
            {
                case "dtype" when dtype is null:
                    if (reader.TokenType != JsonTokenType.String)
                        throw Error($"tensor '{name}': dtype must be a string, but is {Describe(ref reader)}");
                    dtype = reader.GetString()!;
                    break;
                case "shape" when shape is null:
                    shape = ReadIntegers(ref reader, name, "shape");
                    break;
                case "data_offsets" when offsets is null:
                    offsets = ReadIntegers(ref reader, name, "data_offsets");
                    break;
                case "dtype" or "shape" or "data_offsets":
                    throw Error($"tensor '{name}' has '{key}' twice");
                default:
                    throw Error($"tensor '{name}' has an unknown key '{key}' (expected dtype, shape, data_offsets)");
            }
        }
        if (dtype is null) throw Error($"tensor '{name}' has no dtype");
        if (shape is null) throw Error($"tensor '{name}' has no shape");
        if (offsets is null) throw Error($"tensor '{name}' has no data_offsets");
        return Validate(name, dtype, shape, offsets);
    }

    private SafeTensorsEntry Validate(string name, string dtype, List<long> shape, List<long> offsets)
    {
        bool skipped = _include is not null && !_include(name);
        // A tensor nobody asked for may have any dtype: only its byte range matters, and its size is checked when the
        // dtype is one the format defines with a whole number of bytes.
        bool readable = DTypeNames.TryParseSafeTensors(dtype, out ElementType type);
        if (!readable && !skipped)
            throw Error($"tensor '{name}' has unsupported dtype '{dtype}'; supported: {DTypeNames.SupportedSafeTensors}");
        if (TensorData.TryCountElements(shape, out long count) is string problem)
            throw Error($"tensor '{name}': {problem}");
        if (offsets.Count != 2)
            throw Error($"tensor '{name}': data_offsets must be [begin, end], but has {offsets.Count} numbers");
        long begin = offsets[0], end = offsets[1];
        if (begin < 0 || end < 0)
            throw Error($"tensor '{name}': data_offsets [{begin}, {end}] are negative");
        if (begin > end)
            throw Error($"tensor '{name}': data_offsets [{begin}, {end}] begin after they end");
        if (end > _dataLength)
            throw Error($"tensor '{name}': data_offsets [{begin}, {end}] reach past the end of the {_dataLength}-byte data buffer");
        int? elementBytes = readable ? type.SizeInBytes() : DTypeNames.SafeTensorsElementBytes(dtype);
        if (elementBytes is int size && end - begin != count * size)
            throw Error($"tensor '{name}': data_offsets [{begin}, {end}] span {end - begin} bytes, but {dtype} {Format(shape)} needs {count * size}");
        return new SafeTensorsEntry(name, type, shape.Select(d => (int)d).ToArray(), begin, end, skipped);
    }

    /// <summary>
    /// Tensors must tile the data buffer exactly, as the format's reference implementation requires: an overlap means
    /// two tensors share bytes, a hole or a tail means bytes belong to nothing, and both mean a corrupt file.
    /// </summary>
    private void CheckLayout()
    {
        var sorted = Entries.OrderBy(e => e.Begin).ThenBy(e => e.End).ToList();
        long next = 0;
        string? previous = null;
        foreach (SafeTensorsEntry e in sorted)
        {
            if (e.Begin < next)
                throw Error($"tensors '{previous}' and '{e.Name}' overlap (bytes {e.Begin} to {next} of the data buffer)");
            if (e.Begin > next)
                throw Error($"bytes {next} to {e.Begin} of the data buffer belong to no tensor (before '{e.Name}')");
            next = e.End;
            previous = e.Name;
        }
        if (next != _dataLength)
            throw Error($"the data buffer has {_dataLength - next} bytes after the last tensor's end ({next}); the file is corrupt or has trailing data");
    }

    private List<long> ReadIntegers(ref Utf8JsonReader reader, string name, string key)
    {
        if (reader.TokenType != JsonTokenType.StartArray)
            throw Error($"tensor '{name}': {key} must be an array of integers, but is {Describe(ref reader)}");
        var values = new List<long>();
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            if (reader.TokenType != JsonTokenType.Number)
                throw Error($"tensor '{name}': {key} must hold only integers, but has {Describe(ref reader)}");
            if (!reader.TryGetInt64(out long value))
                throw Error($"tensor '{name}': {key} holds {Text(ref reader)}, which is not an integer in the 64-bit range");
            // Ranks beyond this are no tensor anyone means; the limit also caps what a hostile header can make us store.
            if (values.Count == 64)
                throw Error($"tensor '{name}': {key} has more than 64 entries");
            values.Add(value);
        }
        return values;
    }

    private TensorFormatException Error(string problem) => new(_file, problem);

    private static string Format(List<long> shape) => "[" + string.Join(", ", shape) + "]";

    private static string Text(ref Utf8JsonReader reader) => Encoding.UTF8.GetString(reader.ValueSpan);

    private static string Describe(ref Utf8JsonReader reader) => reader.TokenType switch
    {
        JsonTokenType.None => "nothing",
        JsonTokenType.StartObject => "an object",
        JsonTokenType.StartArray => "an array",
        JsonTokenType.String => $"the string \"{reader.GetString()}\"",
        JsonTokenType.Number => $"the number {Text(ref reader)}",
        JsonTokenType.True => "true",
        JsonTokenType.False => "false",
        JsonTokenType.Null => "null",
        _ => reader.TokenType.ToString(),
    };
}
