using System.Text;

namespace RectifiedSpaAttn.Generators.Backends.Cpu;

/// <summary>Writes indented C# lines.</summary>
internal sealed class CpuCodeWriter
{
    private readonly StringBuilder _text = new();
    private int _indent;

    public void Line(string line)
    {
        if (line.Length > 0) _text.Append(' ', 4 * _indent);
        _text.Append(line).Append('\n');
    }

    /// <summary>Writes <paramref name="header"/> (if any) and an opening brace, and indents.</summary>
    public void Open(string? header = null)
    {
        if (header is not null) Line(header);
        Line("{");
        _indent++;
    }

    public void Close(string closing = "}")
    {
        _indent--;
        Line(closing);
    }

    public override string ToString() => _text.ToString();
}
