namespace RectifiedSpaAttn.Cli;

/// <summary>Which exceptions are the user's to fix (bad files, bad values), and how to say so in one line.</summary>
internal static class UserErrors
{
    public static bool IsUserError(Exception e) => e is
        ArgumentException or FileNotFoundException or DirectoryNotFoundException or InvalidDataException or
        NotSupportedException or UnauthorizedAccessException or IOException or KeyNotFoundException or
        InvalidOperationException or DllNotFoundException;

    public static string Describe(Exception e) => e switch
    {
        FileNotFoundException f when f.FileName is not null && !f.Message.Contains(f.FileName, StringComparison.Ordinal)
            => $"{f.Message} ({f.FileName})",
        // ArgumentException appends " (Parameter 'x')", which means nothing to a command-line user.
        ArgumentException a when a.ParamName is not null
            => a.Message.Replace($" (Parameter '{a.ParamName}')", "", StringComparison.Ordinal),
        _ => e.Message,
    };
}
