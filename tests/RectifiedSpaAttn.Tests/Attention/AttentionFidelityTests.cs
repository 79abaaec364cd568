using RectifiedSpaAttn.Attention;
using RectifiedSpaAttn.Compute;
using RectifiedSpaAttn.IO;
using RectifiedSpaAttn.Metrics;
using RectifiedSpaAttn.Numerics;
using RectifiedSpaAttn.Tensors;
using RectifiedSpaAttn.Tests.TestSupport;
using Xunit;

namespace RectifiedSpaAttn.Tests.Attention;

/// <summary>
/// The shared Wan case from the authors' pipeline ([1, 2, 4096, 64] bf16, block 128, top_k 8, tau 0.3) on each
/// backend through the device API: with their mask, dense, plain sparse and rectified outputs agree with theirs within
/// 0.6% relative L2 (the spec's 0.3-0.5% plus the rounding of our bf16 output); with our own selection, at most 1.5% of
/// the mask entries differ from theirs (the reference computes its masses in bf16).
/// The emulated-kernel route is left out: at 4096 tokens it takes minutes; the property tests cover it.
/// </summary>
public class AttentionFidelityTests(ITestOutputHelper output)
{
    public static TheoryData<string> Routes => new() { AttentionRoutes.Cpu, AttentionRoutes.OpenCL, AttentionRoutes.Cuda };

    [Theory]
    [MemberData(nameof(Routes))]
    public void TheAuthorsCaseMatchesOnEveryBackend(string route)
    {
        Accelerator? accelerator = AttentionRoutes.Open(route, output);
        if (accelerator is null) return;
        SafeTensorsFile f = FidelityCase.File;
        var theirMask = f.Get<bool>("mask");
        using var q = DeviceTensor<BFloat16>.Upload(accelerator, f.Get<BFloat16>("q"));
        using var k = DeviceTensor<BFloat16>.Upload(accelerator, f.Get<BFloat16>("k"));
        using var v = DeviceTensor<BFloat16>.Upload(accelerator, f.Get<BFloat16>("v"));

        double Error(AttentionMethod method, RectifiedSpaAttnOptions options, string expectedName)
        {
            using AttentionResult<BFloat16> result = AttentionRoutes.Run(route, method, q, k, v, options);
            double error = ErrorMetrics.RelativeL2(result.Output.ToHost().ToDouble().Span, f[expectedName].ToDouble().Span);
            output.WriteLine($"{route} {method}: rel L2 vs the pipeline's '{expectedName}' {error:E3}");
            return error;
        }

        Assert.True(Error(AttentionMethod.Dense, FidelityCase.Options(), "dense") < 0.006);
        Assert.True(Error(AttentionMethod.BlockSparse, FidelityCase.Options(theirMask), "sparse_plain") < 0.006);
        Assert.True(Error(AttentionMethod.Rectified, FidelityCase.Options(theirMask), "out_rectified") < 0.006);

        using AttentionResult<BFloat16> own = AttentionRoutes.Run(route, AttentionMethod.Rectified, q, k, v, FidelityCase.Options());
        int differing = own.Mask!.Span.ToArray().Zip(theirMask.Span.ToArray(), (a, b) => a != b).Count(d => d);
        double share = (double)differing / theirMask.Length;
        output.WriteLine($"{route}: {differing} of {theirMask.Length} mask entries differ from the pipeline's ({share:P2})");
        Assert.True(share <= 0.015, $"{share:P2} of the mask entries differ from the pipeline's");
    }
}
