using RectifiedSpaAttn.Reference;
using RectifiedSpaAttn.Tensors;
using RectifiedSpaAttn.Tests.Kernels.Estimation;
using Xunit;

namespace RectifiedSpaAttn.Tests.Attention;

/// <summary>
/// How a device's selection and GAPR verdict may differ from the fp64 reference's: the device works in fp32, so its
/// masses carry rounding, and the rule is applied to those. The checks: (1) the device's masses are within 1e-5 (relative
/// to the row's largest) of the fp64 masses; (2) its mask is EXACTLY the spec's rule applied to its own masses (so a
/// swap of nearly equal masses is allowed, any other difference is not); (3) a GAPR verdict differs only where gain and
/// error are a near-tie by <see cref="MaskComparison.CompensableIsDecided"/>.
/// </summary>
internal static class SelectionAgreement
{
    public static void AssertMasses(HostTensor<float> deviceMass, HostTensor<double> referenceMass, string context)
    {
        int nK = referenceMass.Shape[^1];
        if (nK == 0) return;
        ReadOnlySpan<double> expected = referenceMass.Span;
        ReadOnlySpan<float> actual = deviceMass.Span;
        for (int row = 0; row < expected.Length / nK; row++)
        {
            double largest = 0;
            for (int j = 0; j < nK; j++) largest = Math.Max(largest, expected[row * nK + j]);
            for (int j = 0; j < nK; j++)
            {
                double error = Math.Abs(actual[row * nK + j] - expected[row * nK + j]);
                Assert.True(error <= 1e-5 * largest + 1e-7, $"{context}: block mass row {row} column {j}: device {actual[row * nK + j]:R}, fp64 {expected[row * nK + j]:R}");
            }
        }
    }

    public static void AssertMaskFollowsRule(
        HostTensor<bool> deviceMask, HostTensor<float> deviceMass, HostTensor<float> deviceTextMass, BlockLayout layout,
        RectifiedSpaAttnOptions options, string context)
    {
        HostTensor<bool> expected = ReferenceSteps.SelectCriticalBlocks(deviceMass.ToDouble(), deviceTextMass.ToDouble(), layout, options);
        bool[] a = deviceMask.Span.ToArray(), e = expected.Span.ToArray();
        int first = -1;
        for (int n = 0; n < a.Length && first < 0; n++) if (a[n] != e[n]) first = n;
        Assert.True(first < 0, $"{context}: mask entry {first} (row {first / Math.Max(layout.KeyBlocks, 1)}) is {(first < 0 ? "" : a[first])} on the device but the rule on the device's own masses gives {(first < 0 ? "" : e[first])}");
    }

    /// <summary>
    /// Where the device's GAPR verdict differs from the fp64 one, the fp64 margin must be inside the fp32 rounding window
    /// of <see cref="MaskComparison.CompensableIsDecided"/> (for D up to 836 that window is narrower than 1e-4 of the
    /// norm products the margin is computed from).
    /// </summary>
    public static void AssertCompensableUpToTies(HostTensor<bool> device, BlockStatistics queries, BlockStatistics keys, HostTensor<bool> reference, string context)
    {
        int batch = queries.Means.Shape[0], heads = queries.Means.Shape[1], nQ = queries.Means.Shape[2], nK = keys.Means.Shape[2];
        for (int b = 0; b < batch; b++)
            for (int h = 0; h < heads; h++)
                for (int i = 0; i < nQ; i++)
                    for (int j = 0; j < nK; j++)
                    {
                        if (device[b, h, i, j] == reference[b, h, i, j]) continue;
                        bool decided = MaskComparison.CompensableIsDecided(queries.Means.Row(b, h, i), queries.MeanAbsoluteDeviations.Row(b, h, i),
                            keys.Means.Row(b, h, j), keys.MeanAbsoluteDeviations.Row(b, h, j), out _);
                        Assert.False(decided,
                            $"{context}: GAPR verdict [{b},{h},{i},{j}] is {device[b, h, i, j]} on the device, {reference[b, h, i, j]} in fp64, outside the fp32 rounding window");
                    }
    }
}
