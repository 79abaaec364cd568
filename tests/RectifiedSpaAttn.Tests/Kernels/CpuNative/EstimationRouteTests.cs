using RectifiedSpaAttn.Attention;
using RectifiedSpaAttn.Attention.Pipeline;
using RectifiedSpaAttn.Compute;
using RectifiedSpaAttn.Tensors;
using RectifiedSpaAttn.Tests.Accelerators;

namespace RectifiedSpaAttn.Tests.Kernels.CpuNative;

/// <summary>
/// The pipeline's estimation route: host code on the CPU accelerator, the emulated kernels when forced, and the same
/// diagnostics from both (the host steps reproduce the kernels bit for bit, so masks, masses, R, C and GAPR's verdicts
/// must be identical, not merely close).
/// </summary>
public sealed class EstimationRouteTests(ITestOutputHelper output)
{
    private readonly Accelerator _cpu = TestAccelerators.Shared(AcceleratorKind.Cpu, output)!;

    [Fact]
    public void TheCpuAcceleratorRunsHostCodeUnlessKernelsAreForced()
    {
        Assert.True(EstimationRoute.For(_cpu.DefaultStream, forceKernels: false).IsNative);
        Assert.False(EstimationRoute.For(_cpu.DefaultStream, forceKernels: true).IsNative);
    }

    [Fact]
    public void RectifiedDiagnosticsAreIdenticalOnBothRoutes()
    {
        int seed = TestAccelerators.NewSeed();
        var rng = new Random(seed);
        output.WriteLine($"seed {seed}");
        // Head dim 64: the forced route needs a built flash kernel.
        int heads = 2, visual = rng.Next(250, 350), text = 10, dim = 64;
        int seq = visual + text, block = rng.Next(20, 40);
        var options = new RectifiedSpaAttnOptions
        {
            QueryBlockSize = block, KeyBlockSize = block, TextTokens = text, ValidTextTokens = rng.Next(1, text),
            Tau = 0.2 + 0.4 * rng.NextDouble(), DropRate = 0.7, FirstFrameBlocks = rng.Next(0, 3),
        };
        DeviceTensor<float> Tensor()
        {
            var host = new HostTensor<float>(1, heads, seq, dim);
            // A per-block offset so that block means differ and the selection has something to choose.
            for (int h = 0; h < heads; h++)
                for (int t = 0; t < seq; t++)
                    for (int d = 0; d < dim; d++) host[0, h, t, d] = rng.NextSingle() - 0.5f + MathF.Sin(t / block * 1.7f + d);
            return DeviceTensor<float>.Upload(_cpu, host);
        }
        using DeviceTensor<float> q = Tensor(), k = Tensor(), v = Tensor();

        using var host = AttentionPipeline.Run(q, k, v, options, AttentionMethod.Rectified, AttentionDiagnostics.All, forceKernels: false);
        using var kernels = AttentionPipeline.Run(q, k, v, options, AttentionMethod.Rectified, AttentionDiagnostics.All, forceKernels: true);
        output.WriteLine($"density {host.Density:F3}");
        Assert.Equal(kernels.Density, host.Density);
        Assert.True(kernels.Mask!.Span.SequenceEqual(host.Mask!.Span), "masks differ");
        Assert.True(kernels.Compensable!.Span.SequenceEqual(host.Compensable!.Span), "compensable verdicts differ");
        Assert.True(kernels.BlockMass!.Span.SequenceEqual(host.BlockMass!.Span), "block masses differ");
        Assert.True(kernels.TextMass!.Span.SequenceEqual(host.TextMass!.Span), "text masses differ");
        Assert.True(kernels.Rectification!.Span.SequenceEqual(host.Rectification!.Span), "R differs");
        Assert.True(kernels.Compensation!.Span.SequenceEqual(host.Compensation!.Span), "C differs");
        // Some blocks were dropped and some dropped blocks compensated, or the comparison above proved little.
        Assert.True(host.Density < 1, $"density {host.Density}: nothing was dropped");
        Assert.Contains(true, host.Compensable!.Span.ToArray());
    }
}
