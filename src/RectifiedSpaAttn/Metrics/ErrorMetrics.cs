using System.Numerics;

namespace RectifiedSpaAttn.Metrics;

/// <summary>
/// How far an output is from a baseline: relative L2 error, maximum absolute error and cosine similarity over flattened
/// values, accumulated in fp64 (also for the <see cref="float"/> overloads). Norms are computed with scaling by the
/// largest magnitude, so values near the top of the fp64 range do not overflow.
/// </summary>
public static class ErrorMetrics
{
    /// <summary>
    /// <c>||actual - expected||_2 / ||expected||_2</c>. When <paramref name="expected"/> is all zero (or empty) the ratio is
    /// defined as 0 if <paramref name="actual"/> is all zero too and positive infinity otherwise. NaN in either input gives NaN.
    /// </summary>
    /// <exception cref="ArgumentException">The spans differ in length.</exception>
    public static double RelativeL2(ReadOnlySpan<double> actual, ReadOnlySpan<double> expected) => RelativeL2Core(actual, expected);

    /// <inheritdoc cref="RelativeL2(ReadOnlySpan{double}, ReadOnlySpan{double})"/>
    public static double RelativeL2(ReadOnlySpan<float> actual, ReadOnlySpan<float> expected) => RelativeL2Core(actual, expected);

    /// <summary>
    /// <c>max_i |actual_i - expected_i|</c>; 0 for empty spans. NaN in either input gives NaN.
    /// </summary>
    /// <exception cref="ArgumentException">The spans differ in length.</exception>
    public static double MaxAbsoluteError(ReadOnlySpan<double> actual, ReadOnlySpan<double> expected) => MaxAbsoluteErrorCore(actual, expected);

    /// <inheritdoc cref="MaxAbsoluteError(ReadOnlySpan{double}, ReadOnlySpan{double})"/>
    public static double MaxAbsoluteError(ReadOnlySpan<float> actual, ReadOnlySpan<float> expected) => MaxAbsoluteErrorCore(actual, expected);

    /// <summary>
    /// <c>(actual . expected) / (||actual|| ||expected||)</c>, clamped to [-1, 1] against rounding. Defined as 1 when both
    /// are all zero (or empty) and 0 when exactly one is. A NaN or infinity in either input gives NaN.
    /// </summary>
    /// <exception cref="ArgumentException">The spans differ in length.</exception>
    public static double CosineSimilarity(ReadOnlySpan<double> actual, ReadOnlySpan<double> expected) => CosineCore(actual, expected);

    /// <inheritdoc cref="CosineSimilarity(ReadOnlySpan{double}, ReadOnlySpan{double})"/>
    public static double CosineSimilarity(ReadOnlySpan<float> actual, ReadOnlySpan<float> expected) => CosineCore(actual, expected);

    private static double RelativeL2Core<T>(ReadOnlySpan<T> actual, ReadOnlySpan<T> expected) where T : unmanaged, INumberBase<T>
    {
        RequireSameLength(actual.Length, expected.Length);
        double differenceNorm = ScaledNorm(actual, expected, difference: true);
        double expectedNorm = ScaledNorm(expected, expected, difference: false);
        if (double.IsNaN(differenceNorm) || double.IsNaN(expectedNorm)) return double.NaN;
        if (expectedNorm == 0) return differenceNorm == 0 ? 0 : double.PositiveInfinity;
        return differenceNorm / expectedNorm;
    }

    private static double MaxAbsoluteErrorCore<T>(ReadOnlySpan<T> actual, ReadOnlySpan<T> expected) where T : unmanaged, INumberBase<T>
    {
        RequireSameLength(actual.Length, expected.Length);
        double max = 0;
        for (int i = 0; i < actual.Length; i++)
        {
            double error = Math.Abs(double.CreateTruncating(actual[i]) - double.CreateTruncating(expected[i]));
            if (double.IsNaN(error)) return double.NaN;
            max = Math.Max(max, error);
        }
        return max;
    }

    private static double CosineCore<T>(ReadOnlySpan<T> actual, ReadOnlySpan<T> expected) where T : unmanaged, INumberBase<T>
    {
        RequireSameLength(actual.Length, expected.Length);
        double scaleA = MaxMagnitude(actual), scaleE = MaxMagnitude(expected);
        if (!double.IsFinite(scaleA) || !double.IsFinite(scaleE)) return double.NaN;
        if (scaleA == 0 || scaleE == 0) return scaleA == scaleE ? 1 : 0;

        // Dividing both vectors by their largest magnitude leaves the cosine unchanged and keeps every sum finite.
        double dot = 0, normA = 0, normE = 0;
        for (int i = 0; i < actual.Length; i++)
        {
            double a = double.CreateTruncating(actual[i]) / scaleA, e = double.CreateTruncating(expected[i]) / scaleE;
            dot += a * e;
            normA += a * a;
            normE += e * e;
        }
        return Math.Clamp(dot / (Math.Sqrt(normA) * Math.Sqrt(normE)), -1.0, 1.0);
    }

    /// <summary>The L2 norm of <paramref name="x"/> (or of <c>x - y</c>), scaled by the largest magnitude against overflow.</summary>
    private static double ScaledNorm<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> y, bool difference) where T : unmanaged, INumberBase<T>
    {
        double scale = 0;
        for (int i = 0; i < x.Length; i++)
        {
            double value = Math.Abs(Value(x, y, i, difference));
            if (double.IsNaN(value)) return double.NaN;
            scale = Math.Max(scale, value);
        }
        if (scale == 0) return 0;
        if (double.IsPositiveInfinity(scale)) return double.PositiveInfinity;
        double sum = 0;
        for (int i = 0; i < x.Length; i++)
        {
            double value = Value(x, y, i, difference) / scale;
            sum += value * value;
        }
        return scale * Math.Sqrt(sum);
    }

    private static double Value<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> y, int i, bool difference) where T : unmanaged, INumberBase<T> =>
        difference ? double.CreateTruncating(x[i]) - double.CreateTruncating(y[i]) : double.CreateTruncating(x[i]);

    private static double MaxMagnitude<T>(ReadOnlySpan<T> x) where T : unmanaged, INumberBase<T>
    {
        double max = 0;
        for (int i = 0; i < x.Length; i++)
        {
            double value = Math.Abs(double.CreateTruncating(x[i]));
            if (double.IsNaN(value)) return double.NaN;
            max = Math.Max(max, value);
        }
        return max;
    }

    private static void RequireSameLength(int actual, int expected)
    {
        if (actual != expected)
            throw new ArgumentException($"The spans differ in length: actual has {actual} values, expected has {expected}.");
    }
}
