namespace RectifiedSpaAttn.Cli.Commands;

/// <summary>What <c>rsa run --method</c> computes.</summary>
internal enum CliMethod
{
    /// <summary>Rectified SpaAttn: block-sparse attention with IPAR and GAPR rectification.</summary>
    Rectified,
    /// <summary>Plain block-sparse attention over the same critical blocks, not rectified.</summary>
    Sparse,
    /// <summary>Dense attention.</summary>
    Dense,
}

internal static class CliMethods
{
    public static CliMethod Parse(string? text) => text switch
    {
        null or "rectified" => CliMethod.Rectified,
        "sparse" => CliMethod.Sparse,
        "dense" => CliMethod.Dense,
        _ => throw new Arguments.UsageException($"--method must be rectified, sparse or dense, got '{text}'"),
    };

    public static string Name(this CliMethod method) => method.ToString().ToLowerInvariant();
}
