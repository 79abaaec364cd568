using FsCheck;
using FsCheck.Fluent;
using RectifiedSpaAttn.Metrics;

namespace RectifiedSpaAttn.Tests.Reference;

/// <summary>The error metrics on hand-computed values, their defined edge cases and their invariances.</summary>
public class ErrorMetricsTests
{
    [Fact]
    public void HandComputedValues()
    {
        double[] expected = [3, 4], actual = [3, 5];
        Assert.Equal(0.2, ErrorMetrics.RelativeL2(actual, expected), 15);          // |(0,1)| / |(3,4)| = 1/5
        Assert.Equal(1.0, ErrorMetrics.MaxAbsoluteError(actual, expected));
        Assert.Equal(29 / (5 * Math.Sqrt(34)), ErrorMetrics.CosineSimilarity(actual, expected), 15);
        Assert.Equal(0.2, ErrorMetrics.RelativeL2([3f, 5f], [3f, 4f]), 7);
        Assert.Equal(1.0, ErrorMetrics.MaxAbsoluteError([3f, 5f], [3f, 4f]));
        Assert.Equal(-1.0, ErrorMetrics.CosineSimilarity([1.0, 2.0], [-2.0, -4.0]), 15);
        Assert.Equal(0.0, ErrorMetrics.CosineSimilarity([1.0, 0.0], [0.0, 7.0]), 15);
    }

    [Fact]
    public void ZeroAndEmptyCasesAreDefined()
    {
        Assert.Equal(0.0, ErrorMetrics.RelativeL2([0.0, 0.0], [0.0, 0.0]));
        Assert.Equal(double.PositiveInfinity, ErrorMetrics.RelativeL2([0.0, 1e-300], [0.0, 0.0]));
        Assert.Equal(0.0, ErrorMetrics.RelativeL2(ReadOnlySpan<double>.Empty, ReadOnlySpan<double>.Empty));
        Assert.Equal(0.0, ErrorMetrics.MaxAbsoluteError(ReadOnlySpan<double>.Empty, ReadOnlySpan<double>.Empty));
        Assert.Equal(1.0, ErrorMetrics.CosineSimilarity([0.0, 0.0], [0.0, 0.0]));
        Assert.Equal(0.0, ErrorMetrics.CosineSimilarity([0.0, 0.0], [1.0, 0.0]));
        Assert.Equal(0.0, ErrorMetrics.CosineSimilarity([1f, 0f], [0f, 0f]));
        Assert.Equal(1.0, ErrorMetrics.CosineSimilarity(ReadOnlySpan<float>.Empty, ReadOnlySpan<float>.Empty));
    }

    [Fact]
    public void NaNPropagatesAndHugeValuesDoNotOverflow()
    {
        Assert.True(double.IsNaN(ErrorMetrics.RelativeL2([double.NaN, 1.0], [1.0, 1.0])));
        Assert.True(double.IsNaN(ErrorMetrics.MaxAbsoluteError([1.0, 1.0], [1.0, double.NaN])));
        Assert.True(double.IsNaN(ErrorMetrics.CosineSimilarity([1.0, double.NaN], [1.0, 1.0])));
        Assert.Equal(0.2, ErrorMetrics.RelativeL2([3e300, 5e300], [3e300, 4e300]), 14);
        Assert.Equal(1.0, ErrorMetrics.CosineSimilarity([1e300, 1e300], [2e300, 2e300]), 14);
        Assert.Equal(0.2, ErrorMetrics.RelativeL2([3e-300, 5e-300], [3e-300, 4e-300]), 14);
    }

    [Fact]
    public void LengthMismatchIsRejected()
    {
        var ex = Assert.Throws<ArgumentException>(() => ErrorMetrics.RelativeL2([1.0, 2.0], [1.0]));
        Assert.Contains("2", ex.Message);
        Assert.Throws<ArgumentException>(() => ErrorMetrics.MaxAbsoluteError([1.0], [1.0, 2.0]));
        Assert.Throws<ArgumentException>(() => ErrorMetrics.CosineSimilarity([1f], ReadOnlySpan<float>.Empty));
        Assert.Throws<ArgumentException>(() => ErrorMetrics.RelativeL2([1f], [1f, 2f]));
    }

    [Fact]
    public void MetricsAgreeWithTheirDefinitionsAndInvariances()
    {
        Gen<(double[] A, double[] E, double Scale)> cases =
            from n in Gen.Choose(1, 40)
            from a in Gen.ArrayOf(Gen.Choose(-1000, 1000).Select(x => x / 100.0), n)
            from e in Gen.ArrayOf(Gen.Choose(-1000, 1000).Select(x => x / 100.0), n)
            from s in Gen.Choose(1, 1000).Select(x => x / 10.0)
            select (a, e, s);
        Prop.ForAll(cases.ToArbitrary(), c =>
        {
            double[] diff = [.. c.A.Zip(c.E, (x, y) => x - y)];
            double normE = Math.Sqrt(c.E.Sum(x => x * x)), normA = Math.Sqrt(c.A.Sum(x => x * x));
            double rel = ErrorMetrics.RelativeL2(c.A, c.E);
            if (normE > 0) Near(Math.Sqrt(diff.Sum(x => x * x)) / normE, rel, 1e-12);
            Near(diff.Select(Math.Abs).Max(), ErrorMetrics.MaxAbsoluteError(c.A, c.E), 1e-12);
            double cos = ErrorMetrics.CosineSimilarity(c.A, c.E);
            if (normA > 0 && normE > 0) Near(c.A.Zip(c.E, (x, y) => x * y).Sum() / (normA * normE), cos, 1e-12);
            Assert.InRange(cos, -1, 1);
            Assert.Equal(0.0, ErrorMetrics.RelativeL2(c.E, c.E));
            // Scaling both by a positive factor changes neither the relative error nor the cosine.
            double[] sa = [.. c.A.Select(x => x * c.Scale)], se = [.. c.E.Select(x => x * c.Scale)];
            Near(rel, ErrorMetrics.RelativeL2(sa, se), 1e-10);
            Near(cos, ErrorMetrics.CosineSimilarity(sa, se), 1e-10);
            // The float overloads accumulate in double: same results on float-representable data.
            float[] fa = [.. c.A.Select(x => (float)x)], fe = [.. c.E.Select(x => (float)x)];
            Near(ErrorMetrics.RelativeL2([.. fa.Select(x => (double)x)], [.. fe.Select(x => (double)x)]), ErrorMetrics.RelativeL2(fa, fe), 1e-14);
        }).Check(Config.QuickThrowOnFailure.WithMaxTest(100).WithQuietOnSuccess(true));
    }

    /// <summary>
    /// Equal to within <paramref name="relative"/> of the larger magnitude (at least 1): rounding to a number of decimal
    /// places would call two doubles one ulp apart different whenever they straddle a rounding boundary.
    /// </summary>
    private static void Near(double expected, double actual, double relative) =>
        Assert.True(Math.Abs(expected - actual) <= relative * Math.Max(1, Math.Max(Math.Abs(expected), Math.Abs(actual))),
            $"expected {expected:R}, got {actual:R} (relative tolerance {relative:E0})");
}
