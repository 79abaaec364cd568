using System.Globalization;

namespace RectifiedSpaAttn.Cli.Arguments;

/// <summary>
/// The options of one command line, parsed as <c>--name value</c> pairs and <c>--flag</c> switches. Every option a
/// command reads is marked as consumed; <see cref="ThrowOnUnknown"/> then reports anything the user typed that the
/// command does not know, so typos never pass silently.
/// </summary>
internal sealed class ParsedArguments
{
    private readonly Dictionary<string, string?> _options = new(StringComparer.Ordinal);
    private readonly HashSet<string> _consumed = new(StringComparer.Ordinal);

    private ParsedArguments() { }

    /// <summary>The arguments before the first option (e.g. the file <c>rsa inspect FILE</c> reads).</summary>
    public IReadOnlyList<string> Positionals { get; private init; } = [];

    /// <summary>
    /// Parses <paramref name="args"/>; <paramref name="switches"/> are the options that take no value, and up to
    /// <paramref name="positionals"/> leading arguments may be plain values rather than options.
    /// </summary>
    public static ParsedArguments Parse(IReadOnlyList<string> args, IReadOnlySet<string> switches, int positionals = 0)
    {
        int leading = 0;
        while (leading < Math.Min(positionals, args.Count) && !args[leading].StartsWith("--", StringComparison.Ordinal)) leading++;
        var parsed = new ParsedArguments { Positionals = [.. args.Take(leading)] };
        for (int i = leading; i < args.Count; i++)
        {
            string arg = args[i];
            if (!arg.StartsWith("--", StringComparison.Ordinal) || arg.Length == 2)
                throw new UsageException($"unexpected argument '{arg}' (options start with --)");
            string name = arg[2..];
            string? value = null;
            int eq = name.IndexOf('=');
            if (eq >= 0) { value = name[(eq + 1)..]; name = name[..eq]; }
            else if (!switches.Contains(name))
            {
                if (i + 1 >= args.Count) throw new UsageException($"option --{name} needs a value");
                value = args[++i];
            }
            if (!parsed._options.TryAdd(name, value)) throw new UsageException($"option --{name} given twice");
        }
        return parsed;
    }

    /// <summary>True when the switch or option was given.</summary>
    public bool Has(string name)
    {
        _consumed.Add(name);
        return _options.ContainsKey(name);
    }

    /// <summary>The option's text, or null when absent.</summary>
    public string? GetString(string name)
    {
        _consumed.Add(name);
        return _options.TryGetValue(name, out var v) ? v : null;
    }

    /// <summary>The option's text; a <see cref="UsageException"/> when absent.</summary>
    public string GetRequiredString(string name) =>
        GetString(name) ?? throw new UsageException($"missing required option --{name}");

    /// <summary>The option as an int, or null when absent.</summary>
    public int? GetInt(string name, int min = int.MinValue)
    {
        string? text = GetString(name);
        if (text is null) return null;
        if (ValueText.TryParseInt(text, min, out int value) is string problem) throw new UsageException($"--{name} {problem}");
        return value;
    }

    /// <summary>The option as a finite double, or null when absent.</summary>
    public double? GetDouble(string name)
    {
        string? text = GetString(name);
        if (text is null) return null;
        if (ValueText.TryParseDouble(text, out double value) is string problem) throw new UsageException($"--{name} {problem}");
        return value;
    }

    /// <summary>The option as a comma-separated list of positive ints of the given count (e.g. <c>21,90,160</c>).</summary>
    public int[]? GetIntList(string name, int count)
    {
        string? text = GetString(name);
        if (text is null) return null;
        string[] parts = text.Split(',', 'x');
        var values = new int[parts.Length];
        for (int i = 0; i < parts.Length; i++)
            if (!int.TryParse(parts[i].Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out values[i]) || values[i] <= 0)
                throw new UsageException($"--{name} expects {count} positive integers separated by commas, got '{text}'");
        if (values.Length != count) throw new UsageException($"--{name} expects {count} values, got {values.Length} in '{text}'");
        return values;
    }

    /// <summary>Reports the first option the command did not read.</summary>
    public void ThrowOnUnknown(string command)
    {
        foreach (string name in _options.Keys)
            if (!_consumed.Contains(name))
                throw new UsageException($"unknown option --{name} for '{command}' (see rsa {command} --help)");
    }
}
