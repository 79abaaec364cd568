using RectifiedSpaAttn.Tensors;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace RectifiedSpaAttn.Cli.Output;

/// <summary>
/// Draws one head of a block mask <c>[B, H, nQ, nK]</c> or of block masses as a PNG: key blocks across, query blocks
/// down, each block a square of <see cref="Scale"/> pixels so small masks are still visible.
/// </summary>
internal static class MaskImages
{
    /// <summary>Critical in this mask (and, with a second mask, in both).</summary>
    public static readonly Rgb24 Critical = new(31, 59, 115);
    /// <summary>Not critical (in either mask).</summary>
    public static readonly Rgb24 Skipped = new(255, 255, 255);
    /// <summary>Critical in this mask only (not in the mask compared with).</summary>
    public static readonly Rgb24 OnlyHere = new(255, 127, 14);
    /// <summary>Critical in the mask compared with only.</summary>
    public static readonly Rgb24 OnlyThere = new(214, 39, 40);

    /// <summary>Pixels per block side: blocks grow until the picture is about 512 pixels, at most 16 pixels each.</summary>
    public static int Scale(int queryBlocks, int keyBlocks) => Math.Clamp(512 / Math.Max(1, Math.Max(queryBlocks, keyBlocks)), 1, 16);

    /// <summary>Writes head <paramref name="head"/> (b * H + h) of <paramref name="mask"/>, marking where <paramref name="other"/> differs.</summary>
    public static void WriteMask(string path, HostTensor<bool> mask, int head, HostTensor<bool>? other)
    {
        int nQ = mask.Shape[2], nK = mask.Shape[3];
        ReadOnlySpan<bool> here = mask.Span.Slice(head * nQ * nK, nQ * nK);
        bool[]? there = other?.Span.Slice(head * nQ * nK, nQ * nK).ToArray();
        bool[] cells = here.ToArray();
        Write(path, nQ, nK, e => (cells[e], there?[e]) switch
        {
            (true, null or true) => Critical,
            (false, null or false) => Skipped,
            (true, false) => OnlyHere,
            (false, true) => OnlyThere,
        });
    }

    /// <summary>
    /// Writes head <paramref name="head"/> of block masses as a heatmap: white for 0, dark blue for the head's largest
    /// mass, on a square-root scale so the many small masses are not all white.
    /// </summary>
    public static void WriteMasses(string path, HostTensor<float> masses, int head)
    {
        int nQ = masses.Shape[2], nK = masses.Shape[3];
        float[] values = masses.Span.Slice(head * nQ * nK, nQ * nK).ToArray();
        float max = values.Where(float.IsFinite).DefaultIfEmpty(0).Max();
        Write(path, nQ, nK, e => Heat(max > 0 && float.IsFinite(values[e]) ? Math.Sqrt(Math.Max(values[e], 0) / max) : 0));
    }

    /// <summary>The heatmap colour of <paramref name="t"/> in [0, 1]: white to <see cref="Critical"/>.</summary>
    public static Rgb24 Heat(double t)
    {
        t = Math.Clamp(t, 0, 1);
        static byte Mix(byte from, byte to, double t) => (byte)Math.Round(from + (to - from) * t);
        return new Rgb24(Mix(255, Critical.R, t), Mix(255, Critical.G, t), Mix(255, Critical.B, t));
    }

    private static void Write(string path, int queryBlocks, int keyBlocks, Func<int, Rgb24> colour)
    {
        int scale = Scale(queryBlocks, keyBlocks);
        using var image = new Image<Rgb24>(Math.Max(1, keyBlocks * scale), Math.Max(1, queryBlocks * scale), Skipped);
        for (int y = 0; y < queryBlocks * scale; y++)
            for (int x = 0; x < keyBlocks * scale; x++)
                image[x, y] = colour((y / scale) * keyBlocks + x / scale);
        image.SaveAsPng(path);
    }
}
