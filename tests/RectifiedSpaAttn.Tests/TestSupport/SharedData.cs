namespace RectifiedSpaAttn.Tests.TestSupport;

/// <summary>
/// Locates the project's shared data folder (<c>../shared</c> beside the repository root): the fidelity case,
/// the Gilbert vectors and the specs (or the folder the environment variable RSA_SHARED_DATA names). Missing data is a
/// test failure, never a skip.
/// </summary>
internal static class SharedData
{
    private static readonly Lazy<string> Root = new(FindRoot);

    /// <summary>The absolute path of <paramref name="parts"/> under the shared folder; throws when it does not exist.</summary>
    public static string Path(params string[] parts)
    {
        string path = System.IO.Path.Combine([Root.Value, .. parts]);
        if (!File.Exists(path) && !Directory.Exists(path))
            throw new FileNotFoundException($"shared test data '{path}' is missing", path);
        return path;
    }

    private static string FindRoot()
    {
        // The GPU machine runs a published copy of the tests far from the repository: it names the folder directly.
        string? overridden = Environment.GetEnvironmentVariable("RSA_SHARED_DATA");
        if (!string.IsNullOrEmpty(overridden)) return System.IO.Path.GetFullPath(overridden);
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(System.IO.Path.Combine(dir.FullName, "RectifiedSpaAttn.sln")))
            {
                string shared = System.IO.Path.GetFullPath(System.IO.Path.Combine(dir.FullName, "..", "shared"));
                if (Directory.Exists(shared)) return shared;
                throw new DirectoryNotFoundException($"the shared data folder '{shared}' (beside the repository) is missing");
            }
        }
        throw new DirectoryNotFoundException($"no RectifiedSpaAttn.sln above '{AppContext.BaseDirectory}'");
    }
}
