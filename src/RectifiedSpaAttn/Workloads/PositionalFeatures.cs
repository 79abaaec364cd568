using RectifiedSpaAttn.Video;

namespace RectifiedSpaAttn.Workloads;

/// <summary>
/// Low-frequency Fourier features of grid positions, the way rotary embeddings split a head's dimensions over the
/// t, y and x axes: each axis gets some cosine/sine pairs at (jittered) half-integer multiples of pi/E radians per
/// token (E: the axis extent). The dot product of two tokens' pairs depends only on their distance, and the
/// half-integer harmonics keep any distance within the grid from scoring like distance 0 (no wrap-around). Weighted by
/// a Gaussian spectrum, the dot product along one axis is a smooth bump of the distance with the pattern's length
/// scale; summed over axes it gives the positional logit described by <see cref="HeadPattern"/>.
/// </summary>
internal sealed class PositionalFeatures
{
    private readonly int[] _axisOfPair;     // 0 = t, 1 = y, 2 = x
    private readonly double[] _frequency;   // radians per token
    private readonly double[] _amplitude;   // per pair; q and k both use it, so the logit weight is its square
    private readonly double[][] _cos, _sin;  // per pair, per coordinate along its axis: amplitude * cos/sin(angle)

    /// <param name="grid">The grid (axis extents).</param>
    /// <param name="pairs">Cosine/sine pairs (the generator uses (D - 1) / 2, keeping the last channel free).</param>
    /// <param name="pattern">Shares and length scales of the head.</param>
    /// <param name="peakLogit">The positional logit at distance 0, after division by sqrt(D).</param>
    /// <param name="headDim">D.</param>
    /// <param name="random">Jitters the frequencies so heads of one pattern differ.</param>
    public PositionalFeatures(VideoGrid grid, int pairs, HeadPattern pattern, double peakLogit, int headDim, WorkloadRandom random)
    {
        Pairs = pairs;
        _axisOfPair = new int[pairs];
        _frequency = new double[pairs];
        _amplitude = new double[pairs];
        Span<int> counts = stackalloc int[3];
        SplitPairs(pairs, counts);
        int[] extents = [grid.Frames, grid.Height, grid.Width];
        // Axes with one position or no pairs carry no locality; the others share the whole peak logit.
        double shareSum = 0;
        for (int axis = 0; axis < 3; axis++) if (extents[axis] > 1 && counts[axis] > 0) shareSum += pattern.Share(axis);
        int p = 0;
        for (int axis = 0; axis < 3; axis++)
        {
            int first = p;
            double weightSum = 0;
            for (int f = 0; f < counts[axis]; f++, p++)
            {
                // Half-integer harmonics, jittered: never a constant feature, never a wrap-around.
                double harmonic = f + 0.5 + random.Uniform(-0.2, 0.2);
                double omega = Math.PI * harmonic / Math.Max(extents[axis], 1);
                double spectral = Math.Exp(-0.5 * Square(omega * pattern.Length(axis)));
                _axisOfPair[p] = axis;
                _frequency[p] = omega;
                _amplitude[p] = spectral;
                weightSum += spectral;
            }
            // Normalise so that this axis contributes share * peakLogit at distance 0.
            double logitWeight = extents[axis] == 1 || weightSum == 0 ? 0 : pattern.Share(axis) / shareSum * peakLogit * Math.Sqrt(headDim);
            for (int i = first; i < p; i++) _amplitude[i] = Math.Sqrt(logitWeight * _amplitude[i] / weightSum);
        }

        // Tabulate: a pair depends on one coordinate only, so the grid needs E sines and cosines per pair.
        _cos = new double[pairs][];
        _sin = new double[pairs][];
        for (int i = 0; i < pairs; i++)
        {
            int extent = extents[_axisOfPair[i]];
            _cos[i] = new double[extent];
            _sin[i] = new double[extent];
            for (int c = 0; c < extent; c++)
            {
                _cos[i][c] = _amplitude[i] * Math.Cos(_frequency[i] * c);
                _sin[i][c] = _amplitude[i] * Math.Sin(_frequency[i] * c);
            }
        }
    }

    /// <summary>Cosine/sine pairs.</summary>
    public int Pairs { get; }

    /// <summary>Writes the 2 * <see cref="Pairs"/> features of grid point (t, y, x) into <paramref name="row"/>.</summary>
    public void Write(Span<double> row, int t, int y, int x)
    {
        for (int p = 0; p < Pairs; p++)
        {
            int coordinate = _axisOfPair[p] switch { 0 => t, 1 => y, _ => x };
            row[2 * p] = _cos[p][coordinate];
            row[2 * p + 1] = _sin[p][coordinate];
        }
    }

    // Like rotary embeddings for video, time gets a quarter of the pairs and the two spatial axes share the rest.
    private static void SplitPairs(int pairs, Span<int> counts)
    {
        counts[0] = pairs >= 3 ? Math.Max(1, pairs / 4) : 0;
        counts[1] = (pairs - counts[0]) / 2;
        counts[2] = pairs - counts[0] - counts[1];
    }

    private static double Square(double x) => x * x;
}
