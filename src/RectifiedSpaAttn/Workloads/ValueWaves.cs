using RectifiedSpaAttn.Video;

namespace RectifiedSpaAttn.Workloads;

/// <summary>
/// Smooth values: channel c of a token at (t, y, x) is <c>sqrt(2) cos(w_c . (t, y, x) + phase_c)</c> with random
/// low frequencies, so each channel is a plane wave of unit mean square drifting across the grid.
/// </summary>
internal sealed class ValueWaves
{
    // e^{i (w_t t + phase)}, e^{i w_y y}, e^{i w_x x} per channel, tabulated along each axis: the wave is their product.
    private readonly double[] _ct, _st, _cy, _sy, _cx, _sx;
    private readonly VideoGrid _grid;

    public ValueWaves(VideoGrid grid, int channels, double lengthT, double lengthY, double lengthX, WorkloadRandom random)
    {
        _grid = grid;
        Channels = channels;
        _ct = new double[channels * grid.Frames]; _st = new double[_ct.Length];
        _cy = new double[channels * grid.Height]; _sy = new double[_cy.Length];
        _cx = new double[channels * grid.Width]; _sx = new double[_cx.Length];
        for (int c = 0; c < channels; c++)
        {
            double wt = random.NextNormal() / lengthT, wy = random.NextNormal() / lengthY, wx = random.NextNormal() / lengthX;
            double phase = random.Uniform(0, 2 * Math.PI);
            Tabulate(_ct, _st, c, grid.Frames, wt, phase);
            Tabulate(_cy, _sy, c, grid.Height, wy, 0);
            Tabulate(_cx, _sx, c, grid.Width, wx, 0);
        }
    }

    public int Channels { get; }

    /// <summary>Channel <paramref name="c"/> of the value at (t, y, x).</summary>
    public double At(int c, int t, int y, int x)
    {
        int it = c * _grid.Frames + t, iy = c * _grid.Height + y, ix = c * _grid.Width + x;
        double re = _ct[it] * _cy[iy] - _st[it] * _sy[iy];
        double im = _st[it] * _cy[iy] + _ct[it] * _sy[iy];
        return Math.Sqrt(2) * (re * _cx[ix] - im * _sx[ix]);
    }

    private static void Tabulate(double[] cos, double[] sin, int c, int extent, double frequency, double phase)
    {
        for (int i = 0; i < extent; i++)
        {
            cos[c * extent + i] = Math.Cos(frequency * i + phase);
            sin[c * extent + i] = Math.Sin(frequency * i + phase);
        }
    }
}
