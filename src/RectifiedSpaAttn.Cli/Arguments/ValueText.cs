using System.Globalization;

namespace RectifiedSpaAttn.Cli.Arguments;

/// <summary>
/// Parses option values, the same way whether they come from the command line or from an input file's metadata, and
/// says what is wrong in words that fit after the value's name ("--block-size expects ...").
/// </summary>
internal static class ValueText
{
    /// <summary>Null when <paramref name="text"/> is an integer of at least <paramref name="min"/>; else what is wrong.</summary>
    public static string? TryParseInt(string text, int min, out int value)
    {
        if (!long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out long wide))
        {
            value = 0;
            // Digits that overflow even a long are still a number, just a huge one: say so rather than "not an integer".
            return text.Trim().TrimStart('-', '+').All(char.IsAsciiDigit) && text.Trim().Length > 1
                ? $"expects an integer from {min} to {int.MaxValue}, got '{text}'"
                : $"expects an integer, got '{text}'";
        }
        if (wide < min || wide > int.MaxValue)
        {
            value = 0;
            return wide < min ? $"must be at least {min}, got {wide}" : $"expects an integer from {min} to {int.MaxValue}, got {wide}";
        }
        value = (int)wide;
        return null;
    }

    /// <summary>Null when <paramref name="text"/> is a finite number; else what is wrong.</summary>
    public static string? TryParseDouble(string text, out double value) =>
        double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out value) && double.IsFinite(value)
            ? null
            : $"expects a number, got '{text}'";
}
