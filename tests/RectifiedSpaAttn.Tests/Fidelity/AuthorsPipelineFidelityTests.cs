using System.Diagnostics;
using RectifiedSpaAttn.IO;
using RectifiedSpaAttn.Metrics;
using RectifiedSpaAttn.Reference;
using RectifiedSpaAttn.Tensors;
using RectifiedSpaAttn.Tests.TestSupport;

namespace RectifiedSpaAttn.Tests.Fidelity;

/// <summary>
/// The reference against the authors' own pipeline on the shared Wan case ([1, 2, 4096, 64] bf16, block 128, top_k 8,
/// tau 0.3): with their mask supplied the outputs agree to the spec's 0.3-0.5% relative L2; our own fp64 selection
/// differs from their bf16 one in about 1% of the mask entries.
/// </summary>
public class AuthorsPipelineFidelityTests(ITestOutputHelper output)
{
    [Fact]
    public void WithTheirMaskTheOutputsMatchTheAuthorsPipeline()
    {
        SafeTensorsFile f = FidelityCase.File;
        HostTensor q = f["q"], k = f["k"], v = f["v"];
        var theirMask = f.Get<bool>("mask");

        var clock = Stopwatch.StartNew();
        HostTensor<double> dense = ExactReference.DenseAttention(q, k, v);
        output.WriteLine($"dense {clock.ElapsedMilliseconds} ms");
        clock.Restart();
        ReferenceResult rectified = ExactReference.Rectified(q, k, v, FidelityCase.Options(theirMask));
        output.WriteLine($"rectified {clock.ElapsedMilliseconds} ms");
        ReferenceResult sparse = ExactReference.BlockSparse(q, k, v, FidelityCase.Options(theirMask));

        double denseError = ErrorMetrics.RelativeL2(dense.Span, f["dense"].ToDouble().Span);
        double rectifiedError = ErrorMetrics.RelativeL2(rectified.Output.Span, f["out_rectified"].ToDouble().Span);
        double sparseError = ErrorMetrics.RelativeL2(sparse.Output.Span, f["sparse_plain"].ToDouble().Span);
        output.WriteLine($"rel L2 vs pipeline: dense {denseError:E3}, rectified {rectifiedError:E3}, sparse {sparseError:E3}");

        Assert.Equal(theirMask.Span.ToArray(), rectified.Mask.Span.ToArray());
        Assert.True(denseError < 1e-4, $"dense differs from the pipeline's fp32 dense by {denseError}");
        Assert.True(rectifiedError < 0.006, $"rectified differs from the pipeline by {rectifiedError}");
        Assert.True(sparseError < 0.006, $"plain sparse differs from the pipeline by {sparseError}");
    }

    [Fact]
    public void OwnSelectionDiffersFromTheAuthorsInFewEntries()
    {
        SafeTensorsFile f = FidelityCase.File;
        var theirMask = f.Get<bool>("mask");
        ReferenceResult ours = ExactReference.BlockSparse(f["q"], f["k"], f["v"], FidelityCase.Options());

        int differing = ours.Mask.Span.ToArray().Zip(theirMask.Span.ToArray(), (a, b) => a != b).Count(d => d);
        double share = (double)differing / theirMask.Length;
        output.WriteLine($"{differing} of {theirMask.Length} mask entries differ ({share:P2}); density ours {ours.Density:F4}, theirs {ReferenceSteps.Density(theirMask):F4}");
        // The bar: at least 98.5% of the entries equal (0.7% differ today).
        Assert.True(share <= 0.015, $"{share:P2} of the mask entries differ from the pipeline's");
    }
}
