using System.Text.Json;
using RectifiedSpaAttn.Tests.TestSupport;

namespace RectifiedSpaAttn.Tests.Video;

/// <summary>One case of the Gilbert test vectors (<c>tests/data/gilbert/vectors.json</c>).</summary>
internal sealed record GilbertVector(int T, int H, int W, string? AxisOrder, int BlockSize, int[] LinearToCurve, int[][] BlockNeighbors)
{
    private static readonly Lazy<GilbertVector[]> All = new(Load);

    public static GilbertVector Get(int index) => All.Value[index];

    public static int Count => All.Value.Length;

    private static GilbertVector[] Load()
    {
        using var document = JsonDocument.Parse(File.ReadAllText(TestData.Path("gilbert", "vectors.json")));
        return [.. document.RootElement.EnumerateArray().Select(c => new GilbertVector(
            c.GetProperty("t").GetInt32(),
            c.GetProperty("h").GetInt32(),
            c.GetProperty("w").GetInt32(),
            c.GetProperty("axis_order").ValueKind == JsonValueKind.Null ? null : c.GetProperty("axis_order").GetString(),
            c.GetProperty("block_size").GetInt32(),
            [.. c.GetProperty("linear_to_curve").EnumerateArray().Select(e => e.GetInt32())],
            [.. c.GetProperty("block_neighbors").EnumerateArray().Select(row => row.EnumerateArray().Select(e => e.GetInt32()).ToArray())]))];
    }
}
