using RectifiedSpaAttn.Compute;
using RectifiedSpaAttn.Kernels.Attention;
using RectifiedSpaAttn.Kernels.Attention.Estimation;
using RectifiedSpaAttn.Numerics;
using RectifiedSpaAttn.Reference;
using RectifiedSpaAttn.Tensors;
using static RectifiedSpaAttn.Tests.Kernels.Estimation.EstimationSupport;

namespace RectifiedSpaAttn.Tests.Kernels.Estimation;

/// <summary>
/// Steps 2-4 (<see cref="EstimationSteps.PooledMasses"/>) against <see cref="ReferenceSteps.PooledLogits"/>,
/// <see cref="ReferenceSteps.Softmax"/> and <see cref="ReferenceSteps.Ipar"/>, fed the same fp32 block means and the same
/// rounded keys.
/// </summary>
public sealed class PooledMassesTests(ITestOutputHelper output)
{
    public static TheoryData<AcceleratorKind, string> Cases() => KindsAndTypes();

    [Theory]
    [MemberData(nameof(Cases))]
    public void MassesMatchTheReference(AcceleratorKind kind, string type)
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
        if (Accelerator(kind, RowStepKernels.EstimateRowsKernel.GetVariant(typeof(T), (int)RowWork.Masses), output) is not { } acc) return;
        var rng = NewRandom(output, out int seed);
        for (int round = 0; round < 3; round++)
        {
            AttentionShape shape = RandomShape(rng);
            // Round 0 always has valid text keys next to invalid slots; round 1 none at all.
            if (round == 0) shape = shape with { SequenceLength = shape.VisualTokens + 20, TextTokens = 20, ValidTextTokens = rng.Next(1, 20) };
            if (round == 1) shape = shape with { SequenceLength = shape.VisualTokens, TextTokens = 0, ValidTextTokens = 0 };
            // Round 2: more columns than a row group has threads (EstimationSteps.RowGroupSize), with text keys after the blocks.
            if (round == 2) shape = Wide(rng, shape);
            string context = $"seed {seed} round {round}: {typeof(T).Name} {shape}";
            output.WriteLine(context);
            BlockLayout layout = LayoutOf(shape);
            int nQ = shape.QueryBlocks, nK = shape.KeyBlocks;

            var (q, qRef) = StructuredTokens<T>(rng, shape, shape.QueryBlockSize);
            var (k, kRef) = StructuredTokens<T>(rng, shape, shape.KeyBlockSize);
            // The kernel gets fp32 means; the reference the same values in fp64.
            float[] qbar = ToFloats(ReferenceSteps.Pool(qRef, shape.QueryBlockSize, shape.VisualTokens).Means);
            float[] kbar = ToFloats(ReferenceSteps.Pool(kRef, shape.KeyBlockSize, shape.VisualTokens).Means);
            using var qs = Upload(acc, qbar);
            using var ks = Upload(acc, kbar);
            using var keys = Upload(acc, k);
            long massCount = (long)shape.HeadCount * nQ * nK, rows = (long)shape.HeadCount * nQ;
            using var blockMass = PoisonedFloats(acc, massCount);
            using var textMass = PoisonedFloats(acc, rows);
            EstimationSteps.PooledMasses(acc, shape, qs.View, ks.View, keys.View, blockMass.SubView(0, massCount), textMass.SubView(0, rows));

            HostTensor<double> logits = ReferenceSteps.PooledLogits(
                Tensor(qbar, shape.Batch, shape.Heads, nQ, shape.HeadDim), Tensor(kbar, shape.Batch, shape.Heads, nK, shape.HeadDim), kRef, layout);
            ImplicitReference expected = ReferenceSteps.Ipar(ReferenceSteps.Softmax(logits), layout);
            // fp32 dot products of length D, exp and row sums of ~nK + L terms: a few 1e-7 relative per mass.
            AssertClose(expected.BlockMass.Span, Read(blockMass, massCount, context), 1e-5, $"{context}: block mass P", output);
            float[] text = Read(textMass, rows, context);
            if (shape.ValidTextTokens == 0)
                Assert.True(text.All(t => t == 0f), $"{context}: text mass must be exactly 0 without valid text keys, got [{string.Join(", ", text)}]");
            else
                AssertClose(expected.TextMass.Span, text, 1e-5, $"{context}: text mass T", output);
        }
    }

    /// <summary>A shape with 150-300 key blocks (1-2 token blocks), a few query blocks and 5 valid text keys of 9 slots.</summary>
    internal static AttentionShape Wide(Random rng, AttentionShape shape)
    {
        int visual = rng.Next(260, 301);
        return shape with
        {
            SequenceLength = visual + 9, TextTokens = 9, ValidTextTokens = 5, KeyBlockSize = rng.Next(1, 3), QueryBlockSize = rng.Next(60, 130),
        };
    }
}
