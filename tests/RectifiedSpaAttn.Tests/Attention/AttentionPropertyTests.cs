using RectifiedSpaAttn.Attention;
using RectifiedSpaAttn.Compute;
using RectifiedSpaAttn.Metrics;
using RectifiedSpaAttn.Numerics;
using RectifiedSpaAttn.Tensors;
using Xunit;

namespace RectifiedSpaAttn.Tests.Attention;

/// <summary>
/// The device API against the fp64 reference on random problems, on every route: output relative L2 within 1e-5 for
/// fp32 inputs and 1e-2 for 16-bit inputs (the reference is given the same rounded inputs), invalid text rows exactly
/// zero, masses within 1e-5 of fp64, the mask exactly the spec's rule on the device's masses, GAPR verdicts equal up to
/// near-ties, and the density equal to the mask's.
/// </summary>
public class AttentionPropertyTests(ITestOutputHelper output)
{
    public static TheoryData<string> Routes => AttentionRoutes.All;

    [Theory]
    [MemberData(nameof(Routes))]
    public void MatchesTheFp64Reference(string route)
    {
        Accelerator? accelerator = AttentionRoutes.Open(route, output);
        if (accelerator is null) return;
        // The emulated kernels run each GPU thread as a C# iterator: fewer and smaller cases keep the suite quick.
        (int count, int maxVisual) = route switch
        {
            AttentionRoutes.CpuKernels => (6, 160),
            AttentionRoutes.OpenCL => (10, 300),
            _ => (16, 300),
        };
        DeviceAttentionCase.Check(count, c =>
        {
            switch (c.Type)
            {
                case ElementType.Float32: CheckCase<float>(accelerator, route, c); break;
                case ElementType.Float16: CheckCase<Half>(accelerator, route, c); break;
                default: CheckCase<BFloat16>(accelerator, route, c); break;
            }
        }, maxVisual);
    }

    private void CheckCase<T>(Accelerator accelerator, string route, DeviceAttentionCase c) where T : unmanaged
    {
        var (q, k, v) = c.Inputs<T>();
        RectifiedSpaAttnOptions options = c.Options();
        using var dq = DeviceTensor<T>.Upload(accelerator, q);
        using var dk = DeviceTensor<T>.Upload(accelerator, k);
        using var dv = DeviceTensor<T>.Upload(accelerator, v);
        using AttentionResult<T> result = AttentionRoutes.Run(route, c.Method, dq, dk, dv, options);
        var expected = ExpectedAttention.Compute(q, k, v, options, c.Method, result.Mask, result.Compensable);

        double[] actual = result.Output.ToHost().ToDouble().Data;
        double relL2 = ErrorMetrics.RelativeL2(actual, expected.Output.Data);
        double maxAbs = ErrorMetrics.MaxAbsoluteError(actual, expected.Output.Data);
        double tolerance = c.Type == ElementType.Float32 ? 1e-5 : 1e-2;
        output.WriteLine($"{route} {c}: rel L2 {relL2:E2}, max abs {maxAbs:E2}, density {result.Density:F3}");
        Assert.True(relL2 <= tolerance, $"{route} {c}: output rel L2 {relL2:E3} (max abs {maxAbs:E3}) exceeds {tolerance:E0}");

        int invalidText = c.Text - c.ValidText;
        if (invalidText > 0)
        {
            int rowLength = c.D * invalidText;
            for (int head = 0; head < c.B * c.H; head++)
            {
                int start = (head * c.S + c.S - invalidText) * c.D;
                Assert.True(actual.AsSpan(start, rowLength).IndexOfAnyExcept(0.0) < 0, $"{route} {c}: an invalid text row of head {head} is not zero");
            }
        }
        if (c.Method == AttentionMethod.Dense) return;

        Assert.NotNull(result.Mask);
        Assert.NotNull(result.BlockMass);
        double maskDensity = result.Mask!.Length == 0 ? 0 : result.Mask.Span.ToArray().Count(m => m) / (double)result.Mask.Length;
        Assert.Equal(maskDensity, result.Density, 12);
        SelectionAgreement.AssertMasses(result.BlockMass!, expected.BlockMass, $"{route} {c}");
        SelectionAgreement.AssertMaskFollowsRule(result.Mask, result.BlockMass!, result.TextMass!, expected.Layout, options, $"{route} {c}");
        if (c.Method == AttentionMethod.Rectified)
        {
            SelectionAgreement.AssertCompensableUpToTies(result.Compensable!, expected.Queries, expected.Keys, expected.ReferenceCompensable, $"{route} {c}");
            double rError = ErrorMetrics.MaxAbsoluteError(result.Rectification!.ToDouble().Data, expected.Rectification.Data);
            Assert.True(rError <= 1e-5, $"{route} {c}: R differs from fp64 by {rError:E3}");
        }
    }
}
