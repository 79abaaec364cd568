namespace RectifiedSpaAttn.Tests.TestSupport;

/// <summary>
/// Locates the test data the repository carries (<c>tests/data/</c>: the fidelity case and the Gilbert vectors). The
/// test project copies that folder beside its assembly as <c>data/</c>, so a published copy of the tests (the GPU
/// machine's device test host) finds it the same way. Missing data is a test failure, never a skip.
/// </summary>
internal static class TestData
{
    /// <summary>The absolute path of <paramref name="parts"/> under the test data folder; throws when it does not exist.</summary>
    public static string Path(params string[] parts)
    {
        string path = System.IO.Path.Combine([AppContext.BaseDirectory, "data", .. parts]);
        if (!File.Exists(path) && !Directory.Exists(path))
            throw new FileNotFoundException($"test data '{path}' is missing (the test project copies tests/data/ beside its assembly)", path);
        return path;
    }
}
