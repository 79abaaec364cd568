using System.Globalization;
using System.Text;

namespace RectifiedSpaAttn.Generators.Emit;

/// <summary>Small helpers for writing C# source text.</summary>
internal static class CSharpText
{
    /// <summary>A verbatim string literal holding <paramref name="text"/>.</summary>
    public static string Verbatim(string text) => "@\"" + text.Replace("\"", "\"\"") + "\"";

    /// <summary>
    /// An expression giving <paramref name="text"/> as a string, decoded once from a UTF-8 literal. Kernel PTX and OpenCL
    /// C are large: as ordinary string literals they fill the assembly's 16 MiB user-string heap (CS8103), while UTF-8
    /// literals are stored as plain data and have no such limit.
    /// </summary>
    public static string Utf8Text(string text) => "global::System.Text.Encoding.UTF8.GetString(" + Verbatim(text) + "u8)";

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
