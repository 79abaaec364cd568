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

    /// <summary>
    /// The Roslyn location: in <paramref name="compilation"/>'s syntax tree of the same path when there is one (a
    /// <see cref="LocationKind.SourceFile"/> location, which IDEs underline in the editor), else a location by path and
    /// span (listed with its line, but not placed in an open document).
    /// </summary>
    public Location ToLocation(Compilation? compilation)
    {
        if (compilation is not null)
        {
            foreach (SyntaxTree tree in compilation.SyntaxTrees)
                if (tree.FilePath == FilePath && Span.End <= tree.Length) return Location.Create(tree, Span);
        }
        return Location.Create(FilePath, Span, LineSpan);
    }
}
