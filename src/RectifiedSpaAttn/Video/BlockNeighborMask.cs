using RectifiedSpaAttn.Tensors;

namespace RectifiedSpaAttn.Video;

/// <summary>Builds the block-level 26-neighbourhood mask of a curve-ordered video grid.</summary>
internal static class BlockNeighborMask
{
    // Half of the 26 neighbour offsets (dt, dy, dx): the lexicographically positive ones. Token adjacency is
    // symmetric, so visiting each unordered pair once and marking both (query, key) directions covers all 26.
    private static readonly (int Dt, int Dy, int Dx)[] ForwardOffsets = BuildForwardOffsets();

    public static HostTensor<bool> Build(VideoGrid grid, int[] curvePositions, int queryBlockSize, int keyBlockSize)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(queryBlockSize);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(keyBlockSize);
        int n = curvePositions.Length;
        int nQ = (int)(((long)n + queryBlockSize - 1) / queryBlockSize);
        int nK = (int)(((long)n + keyBlockSize - 1) / keyBlockSize);
        var mask = new HostTensor<bool>(nQ, nK);
        bool[] m = mask.Data;
        int frames = grid.Frames, height = grid.Height, width = grid.Width;

        for (int t = 0; t < frames; t++)
        {
            for (int y = 0; y < height; y++)
            {
                int rowStart = (t * height + y) * width;
                for (int x = 0; x < width; x++)
                {
                    int u = curvePositions[rowStart + x];
                    int qu = u / queryBlockSize, ku = u / keyBlockSize;
                    m[(long)qu * nK + ku] = true; // the token itself
                    foreach (var (dt, dy, dx) in ForwardOffsets)
                    {
                        int t2 = t + dt, y2 = y + dy, x2 = x + dx;
                        if (t2 >= frames || (uint)y2 >= (uint)height || (uint)x2 >= (uint)width) continue;
                        int v = curvePositions[(t2 * height + y2) * width + x2];
                        m[(long)qu * nK + v / keyBlockSize] = true;
                        m[(long)(v / queryBlockSize) * nK + ku] = true;
                    }
                }
            }
        }
        return mask;
    }

    private static (int, int, int)[] BuildForwardOffsets()
    {
        var offsets = new List<(int, int, int)>(13);
        for (int dt = -1; dt <= 1; dt++)
            for (int dy = -1; dy <= 1; dy++)
                for (int dx = -1; dx <= 1; dx++)
                    if ((dt, dy, dx).CompareTo((0, 0, 0)) > 0) offsets.Add((dt, dy, dx));
        return [.. offsets];
    }
}
