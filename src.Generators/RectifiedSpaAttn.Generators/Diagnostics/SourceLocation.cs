using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Text;

namespace RectifiedSpaAttn.Generators.Diagnostics;

/// <summary>
/// A place in a source file as plain data (path, character span, line span). Unlike Roslyn's <see cref="Location"/>
/// it holds no syntax tree, so models that carry it compare by value and keep no compilation alive.
/// </summary>
internal sealed record SourceLocation(string FilePath, TextSpan Span, LinePositionSpan LineSpan)
{
    /// <summary>The plain-data form of <paramref name="location"/>, or null when it is not in source.</summary>
    public static SourceLocation? From(Location? location)
    {
        if (location is null || !location.IsInSource) return null;
        FileLinePositionSpan lines = location.GetLineSpan();
        return new SourceLocation(lines.Path ?? "", location.SourceSpan, lines.Span);
    }

    public Location ToLocation() => Location.Create(FilePath, Span, LineSpan);
}
