using System.Globalization;
using System.Text;

namespace RectifiedSpaAttn.IO;

/// <summary>
/// Parses the small subset of Python literal syntax an .npy header uses: a dict with string keys whose values are
/// strings, <c>True</c>/<c>False</c>, integers and tuples or lists of these. Values come back as
/// <see cref="string"/>, <see cref="bool"/>, <see cref="long"/> and <see cref="List{T}"/> of <see cref="object"/>.
/// </summary>
/// <remarks>A hand-written parser on purpose: numpy evaluates the header with <c>ast.literal_eval</c>; nothing here
/// ever executes or instantiates anything the header names.</remarks>
internal ref struct PythonLiteral
{
    private readonly string _text;
    private int _pos;

    private PythonLiteral(string text) => _text = text;

    /// <summary>Parses a dict literal that must make up all of <paramref name="text"/> (surrounding whitespace aside).</summary>
    /// <exception cref="FormatException">The text is not such a literal; the message says where and why.</exception>
    public static Dictionary<string, object> ParseDict(string text)
    {
        var parser = new PythonLiteral(text);
        parser.SkipWhitespace();
        var dict = parser.Dict();
        parser.SkipWhitespace();
        if (parser._pos != text.Length) throw parser.Error("unexpected text after the closing '}'");
        return dict;
    }

    private Dictionary<string, object> Dict()
    {
        Expect('{');
        var dict = new Dictionary<string, object>(StringComparer.Ordinal);
        SkipWhitespace();
        while (Peek() != '}')
        {
            int at = _pos;
            if (Peek() is not ('\'' or '"')) throw Error("expected a quoted key");
            string key = String();
            SkipWhitespace();
            Expect(':');
            SkipWhitespace();
            if (!dict.TryAdd(key, Value(depth: 0))) { _pos = at; throw Error($"the key '{key}' appears twice"); }
            SkipWhitespace();
            if (Peek() == ',') { _pos++; SkipWhitespace(); }
            else if (Peek() != '}') throw Error("expected ',' or '}'");
        }
        _pos++;
        return dict;
    }

    private object Value(int depth)
    {
        // Headers nest at most one level (a shape tuple); deeper nesting is garbage, and the cap bounds recursion.
        if (depth > 8) throw Error("values are nested too deeply");
        char c = Peek();
        if (c is '\'' or '"') return String();
        if (c is '(' or '[') return Sequence(c == '(' ? ')' : ']', depth);
        if (c == '-' || char.IsAsciiDigit(c)) return Integer();
        if (Match("True")) return true;
        if (Match("False")) return false;
        if (c == '{') throw Error("nested dicts are not part of an npy header");
        throw Error(c == '\0' ? "the header ends where a value should be" : $"unexpected character '{c}'");
    }

    private List<object> Sequence(char close, int depth)
    {
        _pos++;
        var items = new List<object>();
        SkipWhitespace();
        while (Peek() != close)
        {
            items.Add(Value(depth + 1));
            SkipWhitespace();
            if (Peek() == ',') { _pos++; SkipWhitespace(); }
            else if (Peek() != close) throw Error($"expected ',' or '{close}'");
        }
        _pos++;
        return items;
    }

    private long Integer()
    {
        int start = _pos;
        if (Peek() == '-') _pos++;
        while (char.IsAsciiDigit(Peek())) _pos++;
        string digits = _text[start.._pos];
        // Python 2 wrote long integers with an 'L' suffix; old files still carry it.
        if (Peek() is 'L' or 'l') _pos++;
        if (Peek() is '.' or 'e' or 'E' or 'j') throw Error($"'{digits}{Peek()}...' is not an integer");
        if (!long.TryParse(digits, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long value))
            throw Error($"'{digits}' is not an integer in the 64-bit range");
        return value;
    }

    private string String()
    {
        char quote = _text[_pos++];
        var sb = new StringBuilder();
        while (true)
        {
            if (_pos >= _text.Length) throw Error("a string is not closed");
            char c = _text[_pos++];
            if (c == quote) return sb.ToString();
            if (c == '\\' && _pos < _text.Length) c = _text[_pos++];
            sb.Append(c);
        }
    }

    private bool Match(string word)
    {
        if (string.CompareOrdinal(_text, _pos, word, 0, word.Length) != 0) return false;
        int end = _pos + word.Length;
        if (end < _text.Length && (char.IsAsciiLetterOrDigit(_text[end]) || _text[end] == '_')) return false;
        _pos = end;
        return true;
    }

    private void Expect(char c)
    {
        if (Peek() != c) throw Error($"expected '{c}'");
        _pos++;
    }

    private readonly char Peek() => _pos < _text.Length ? _text[_pos] : '\0';

    private void SkipWhitespace()
    {
        while (_pos < _text.Length && _text[_pos] is ' ' or '\t' or '\n' or '\r') _pos++;
    }

    private readonly FormatException Error(string problem) => new($"{problem} at character {_pos}");
}
