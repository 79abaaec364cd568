using System.Globalization;
using System.Text;

namespace RectifiedSpaAttn.Generators.Emit;

/// <summary>Small helpers for writing C# source text.</summary>
internal static class CSharpText
{
    /// <summary>A verbatim string literal holding <paramref name="text"/>.</summary>
    public static string Verbatim(string text) => "@\"" + text.Replace("\"", "\"\"") + "\"";

    /// <summary>A regular string literal holding <paramref name="text"/>.</summary>
    public static string Quoted(string text)
    {
        var sb = new StringBuilder("\"");
        foreach (char c in text)
        {
            switch (c)
            {
                case '"': sb.Append("\\\""); break;
                case '\\': sb.Append("\\\\"); break;
                case '\n': sb.Append("\\n"); break;
                case '\r': sb.Append("\\r"); break;
                default:
                    if (c < ' ') sb.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                    else sb.Append(c);
                    break;
            }
        }
        return sb.Append('"').ToString();
    }
}
