namespace RectifiedSpaAttn.Video;

/// <summary>
/// The 3D generalized Hilbert ("Gilbert") curve of J. Cervenny for cuboids of arbitrary size: a recursive
/// Hilbert-like traversal that visits every token of a <see cref="VideoGrid"/> once, keeping runs of consecutive
/// curve positions compact in all three dimensions. For even extents every step moves to a face-adjacent token;
/// odd extents force a few longer (diagonal) steps.
/// </summary>
public static class GilbertCurve
{
    /// <summary>
    /// The curve position of every token: element <c>i</c> is where row-major token <c>i</c>
    /// (<c>t * H * W + y * W + x</c>) lies along the curve.
    /// </summary>
    /// <param name="grid">The video latent grid.</param>
    /// <param name="order">Which axis the curve treats as major, second and third.</param>
    public static int[] CurvePositions(VideoGrid grid, AxisOrder order) => Invert(TokensAlongCurve(grid, order));

    /// <summary>
    /// The token at every curve position: element <c>c</c> is the row-major index of the <c>c</c>-th token along the
    /// curve (the inverse permutation of <see cref="CurvePositions"/>).
    /// </summary>
    /// <param name="grid">The video latent grid.</param>
    /// <param name="order">Which axis the curve treats as major, second and third.</param>
    /// <exception cref="ArgumentException"><paramref name="grid"/> is the empty default value.</exception>
    public static int[] TokensAlongCurve(VideoGrid grid, AxisOrder order)
    {
        if (grid.TokenCount == 0) throw new ArgumentException("The grid is empty (default VideoGrid).", nameof(grid));
        var walker = new Walker(grid);
        ReadOnlySpan<VideoAxis> axes = order.Axes;
        // The construction cannot start along an axis of extent 1 (it would recurse forever on an empty half), so the
        // major axis is the first in the order that has room; the other two keep their relative order. For every
        // grid where the given order works, this is the given order.
        int first = 0;
        while (first < 2 && grid.Extent(axes[first]) == 1) first++;
        Span<VideoAxis> chosen = [axes[first], default, default];
        for (int i = 0, k = 1; i < 3; i++) if (i != first) chosen[k++] = axes[i];

        walker.Walk(default, Span(grid, chosen[0]), Span(grid, chosen[1]), Span(grid, chosen[2]));
        if (walker.Count != grid.TokenCount)
            throw new InvalidOperationException($"Gilbert curve visited {walker.Count} of {grid.TokenCount} tokens on {grid}.");
        return walker.Tokens;
    }

    /// <summary>The inverse of a permutation of 0..n-1.</summary>
    internal static int[] Invert(ReadOnlySpan<int> permutation)
    {
        var inverse = new int[permutation.Length];
        for (int i = 0; i < permutation.Length; i++) inverse[permutation[i]] = i;
        return inverse;
    }

    // The full extent of the grid along one axis, as a vector: X is width, Y height, Z time.
    private static Int3 Span(VideoGrid grid, VideoAxis axis) => axis switch
    {
        VideoAxis.Width => new Int3(grid.Width, 0, 0),
        VideoAxis.Height => new Int3(0, grid.Height, 0),
        _ => new Int3(0, 0, grid.Frames),
    };

    /// <summary>
    /// Emits tokens in curve order. A sub-cuboid is described by its start corner p and three axis-aligned edge vectors:
    /// a (the direction the sub-curve travels, from its entry to its exit corner), b and c (the two other edges).
    /// </summary>
    private sealed class Walker(VideoGrid grid)
    {
        public readonly int[] Tokens = new int[grid.TokenCount];
        public int Count;

        public void Walk(Int3 p, Int3 a, Int3 b, Int3 c)
        {
            int w = a.Extent, h = b.Extent, d = c.Extent;
            Int3 da = a.Sign, db = b.Sign, dc = c.Sign;

            // A single row along one edge: walk it.
            if (h == 1 && d == 1) { Line(p, da, w); return; }
            if (w == 1 && d == 1) { Line(p, db, h); return; }
            if (w == 1 && h == 1) { Line(p, dc, d); return; }

            // Halve each edge, rounding toward negative infinity, then nudge odd halves of edges longer than 2 to even
            // so that the sub-cuboids can be joined by unit steps whenever possible.
            Int3 a2 = a.FloorHalf, b2 = b.FloorHalf, c2 = c.FloorHalf;
            if (a2.Extent % 2 == 1 && w > 2) a2 += da;
            if (b2.Extent % 2 == 1 && h > 2) b2 += db;
            if (c2.Extent % 2 == 1 && d > 2) c2 += dc;

            if (2 * w > 3 * h && 2 * w > 3 * d)
            {
                // Long along a: two halves side by side.
                Walk(p, a2, b, c);
                Walk(p + a2, a - a2, b, c);
            }
            else if (3 * h > 4 * d)
            {
                // Thin along c: a 2D-style U turn through b, keeping c whole.
                Walk(p, b2, c, a2);
                Walk(p + b2, a, b - b2, c);
                Walk(p + (a - da) + (b2 - db), -b2, c, -(a - a2));
            }
            else if (3 * d > 4 * h)
            {
                // Thin along b: the same U turn through c, keeping b whole.
                Walk(p, c2, a2, b);
                Walk(p + c2, a, b, c - c2);
                Walk(p + (a - da) + (c2 - dc), -c2, -(a - a2), b);
            }
            else
            {
                // Balanced: split all three edges into five sub-cuboids, the 3D Hilbert motif.
                Walk(p, b2, c2, a2);
                Walk(p + b2, c, a2, b - b2);
                Walk(p + (b2 - db) + (c - dc), a, -b2, -(c - c2));
                Walk(p + (a - da) + b2 + (c - dc), -c, -(a - a2), b - b2);
                Walk(p + (a - da) + (b2 - db), -b2, c2, -(a - a2));
            }
        }

        private void Line(Int3 p, Int3 step, int length)
        {
            for (int i = 0; i < length; i++, p += step)
                Tokens[Count++] = (p.Z * grid.Height + p.Y) * grid.Width + p.X;
        }
    }

    private readonly record struct Int3(int X, int Y, int Z)
    {
        // Edge vectors are axis-aligned, so the sum of the components is the signed length.
        public int Extent => Math.Abs(X + Y + Z);

        public Int3 Sign => new(Math.Sign(X), Math.Sign(Y), Math.Sign(Z));

        // Arithmetic shift divides by two rounding toward negative infinity, as the construction requires.
        public Int3 FloorHalf => new(X >> 1, Y >> 1, Z >> 1);

        public static Int3 operator +(Int3 u, Int3 v) => new(u.X + v.X, u.Y + v.Y, u.Z + v.Z);

        public static Int3 operator -(Int3 u, Int3 v) => new(u.X - v.X, u.Y - v.Y, u.Z - v.Z);

        public static Int3 operator -(Int3 u) => new(-u.X, -u.Y, -u.Z);
    }
}
