using RectifiedSpaAttn.Video;

namespace RectifiedSpaAttn.Workloads;

/// <summary>
/// Random Fourier features of grid positions: for frequencies <c>w_m</c> drawn with per-axis scale
/// <c>1 / length</c>, the angle <c>w_m . (t, y, x) + phase_m</c> of every token. Their cosines and sines give
/// features whose dot products approximate a Gaussian kernel of the position difference, which is what makes
/// generated attention local. The angle is separable over the axes, so only <c>M * (T + H + W)</c> sines and cosines
/// are evaluated.
/// </summary>
internal sealed class PositionalFeatures
{
    private readonly double[] _cosT, _sinT, _cosY, _sinY, _cosX, _sinX;
    private readonly VideoGrid _grid;

    public PositionalFeatures(VideoGrid grid, int count, HeadPattern lengths, WorkloadRandom random, bool randomPhase)
    {
        _grid = grid;
        Count = count;
        _cosT = new double[count * grid.Frames]; _sinT = new double[_cosT.Length];
        _cosY = new double[count * grid.Height]; _sinY = new double[_cosY.Length];
        _cosX = new double[count * grid.Width]; _sinX = new double[_cosX.Length];
        for (int m = 0; m < count; m++)
        {
            double wt = random.NextNormal() / lengths.Time;
            double wy = random.NextNormal() / lengths.Height;
            double wx = random.NextNormal() / lengths.Width;
            double phase = randomPhase ? random.Uniform(0, 2 * Math.PI) : 0;
            Fill(_cosT, _sinT, m, grid.Frames, wt, phase);
            Fill(_cosY, _sinY, m, grid.Height, wy, 0);
            Fill(_cosX, _sinX, m, grid.Width, wx, 0);
        }
    }

    /// <summary>Number of frequencies M.</summary>
    public int Count { get; }

    /// <summary>Cosine and sine of frequency <paramref name="m"/>'s angle at grid point (t, y, x).</summary>
    public (double Cos, double Sin) At(int m, int t, int y, int x)
    {
        // Angle addition: e^{i(a+b+c)} = e^{ia} e^{ib} e^{ic}.
        int it = m * _grid.Frames + t, iy = m * _grid.Height + y, ix = m * _grid.Width + x;
        double c1 = _cosT[it], s1 = _sinT[it], c2 = _cosY[iy], s2 = _sinY[iy], c3 = _cosX[ix], s3 = _sinX[ix];
        double c12 = c1 * c2 - s1 * s2, s12 = s1 * c2 + c1 * s2;
        return (c12 * c3 - s12 * s3, s12 * c3 + c12 * s3);
    }

    private static void Fill(double[] cos, double[] sin, int m, int extent, double frequency, double phase)
    {
        for (int i = 0; i < extent; i++)
        {
            double angle = frequency * i + phase;
            cos[m * extent + i] = Math.Cos(angle);
            sin[m * extent + i] = Math.Sin(angle);
        }
    }
}
