using RectifiedSpaAttn.Cli.Arguments;

namespace RectifiedSpaAttn.Cli.Files;

/// <summary>
/// Checks where a command will write before it computes anything, so a bad <c>--output</c> is reported at once, by
/// its own name, and an input file is never replaced by the outputs.
/// </summary>
internal static class OutputTarget
{
    /// <summary>
    /// Refuses an output file that is one of <paramref name="inputs"/> (by path, link or inode), that is a folder, or
    /// whose folder is missing or cannot be written.
    /// </summary>
    /// <exception cref="UsageException">The output is an input file or a folder.</exception>
    /// <exception cref="DirectoryNotFoundException">The output's folder does not exist.</exception>
    /// <exception cref="UnauthorizedAccessException">The output's folder cannot be written.</exception>
    public static void CheckFile(string output, params IEnumerable<string> inputs)
    {
        if (Directory.Exists(output))
            throw new UsageException($"--output '{output}' is a folder; give a file name, such as '{Path.Combine(output, "out.safetensors")}'");
        foreach (string input in inputs)
            if (FileIdentity.AreSame(output, input))
                throw new UsageException($"--output '{output}' is the input file '{input}' (the same file); writing it would replace the input, so choose another output name");
        CheckFolder(Path.GetDirectoryName(Path.GetFullPath(output))!, "the folder of --output");
    }

    /// <summary>Refuses a folder that is missing, is a file, or cannot be written; <paramref name="what"/> names it in errors.</summary>
    public static void CheckFolder(string folder, string what)
    {
        if (File.Exists(folder)) throw new DirectoryNotFoundException($"{what}, '{folder}', is a file, not a folder");
        if (!Directory.Exists(folder)) throw new DirectoryNotFoundException($"{what}, '{folder}', does not exist");
        // Only writing tells whether writing works (permissions, read-only mounts, ACLs): create and delete a probe.
        string probe = Path.Combine(folder, $".rsa-write-check-{Guid.NewGuid():N}");
        try
        {
            using var stream = new FileStream(probe, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1, FileOptions.DeleteOnClose);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new UnauthorizedAccessException($"{what}, '{folder}', cannot be written: {e.Message}", e);
        }
    }
}
