using RectifiedSpaAttn.Compute;
using RectifiedSpaAttn.Kernels.Attention;
using RectifiedSpaAttn.Kernels.Attention.Estimation;
using RectifiedSpaAttn.Numerics;
using RectifiedSpaAttn.Reference;
using static RectifiedSpaAttn.Tests.Kernels.Estimation.EstimationSupport;

namespace RectifiedSpaAttn.Tests.Kernels.Estimation;

/// <summary>Step 1 and GAPR's deviations (<see cref="EstimationSteps.PoolBlocks"/>) against <see cref="ReferenceSteps.Pool"/>.</summary>
public sealed class PoolBlocksTests(ITestOutputHelper output)
{
    public static TheoryData<AcceleratorKind, string> Cases() => KindsAndTypes();

    [Theory]
    [MemberData(nameof(Cases))]
    public void MeansAndDeviationsMatchTheReference(AcceleratorKind kind, string type)
    {
        switch (type)
        {
            case "float": Run<float>(kind); break;
            case "half": Run<Half>(kind); break;
            default: Run<BFloat16>(kind); break;
        }
    }

    private void Run<T>(AcceleratorKind kind) where T : unmanaged
    {
        if (Accelerator(kind, BlockPoolingKernels.PoolInputsKernel.GetVariant(typeof(T)), output) is not { } acc) return;
        var rng = NewRandom(output, out int seed);
        for (int round = 0; round < 3; round++)
        {
            AttentionShape shape = RandomShape(rng, maxVisual: 300);
            // Wide heads (up to 256, and past one group of threads) in some rounds.
            if (round == 2) shape = shape with { HeadDim = rng.Next(200, 300) };
            int blockSize = round == 1 ? shape.KeyBlockSize : shape.QueryBlockSize;
            bool deviations = round != 1 || rng.Next(2) == 0;
            string context = $"seed {seed} round {round}: {typeof(T).Name} {shape}, block {blockSize}, deviations {deviations}";
            output.WriteLine(context);

            var (x, reference) = StructuredTokens<T>(rng, shape, blockSize);
            int blocks = (shape.VisualTokens + blockSize - 1) / blockSize;
            long count = (long)shape.HeadCount * blocks * shape.HeadDim;
            using var xs = Upload(acc, x);
            using var means = PoisonedFloats(acc, count);
            using var devs = PoisonedFloats(acc, count);
            EstimationSteps.PoolBlocks(acc, shape, xs.View, blockSize, means.SubView(0, count), devs.SubView(0, count), deviations);

            BlockStatistics expected = ReferenceSteps.Pool(reference, blockSize, shape.VisualTokens);
            // fp32 sums of at most 40 tokens and one division: well under 1e-6 relative; the deviations inherit the mean's error.
            AssertClose(expected.Means.Span, Read(means, count, context), 2e-6, $"{context}: means", output);
            if (deviations)
                AssertClose(expected.MeanAbsoluteDeviations.Span, Read(devs, count, context), 1e-5, $"{context}: deviations", output);
            else
                Assert.True(devs.ToArray().All(float.IsNaN), $"{context}: deviations were written although not asked for");
        }
    }
}
