using RectifiedSpaAttn.Compute;
using RectifiedSpaAttn.Kernels.Attention;
using RectifiedSpaAttn.Kernels.Attention.Estimation;
using RectifiedSpaAttn.Reference;
using RectifiedSpaAttn.Tensors;
using static RectifiedSpaAttn.Tests.Kernels.Estimation.EstimationSupport;

namespace RectifiedSpaAttn.Tests.Kernels.Estimation;

/// <summary>
/// Step 5 (<see cref="EstimationSteps.SelectCriticalBlocks"/>) against <see cref="ReferenceSteps.SelectCriticalBlocks(HostTensor{double}, HostTensor{double}, BlockLayout, RectifiedSpaAttnOptions)"/>
/// on the same fp32 masses; differences only where <see cref="MaskComparison.SelectionRowMismatch"/> explains them.
/// </summary>
public sealed class SelectCriticalBlocksTests(ITestOutputHelper output)
{
    public static TheoryData<AcceleratorKind> Backends => Kinds;

    [Theory]
    [MemberData(nameof(Backends))]
    public void MaskMatchesThePrefixSumRule(AcceleratorKind kind)
    {
        if (Accelerator(kind, RowStepKernels.EstimateRowsKernel.GetVariant(typeof(float), (int)RowWork.Select), output) is not { } acc) return;
        var rng = NewRandom(output, out int seed);
        // Rounds: text entry, no text entry, tau >= 1, exact ties, neighbour mask plus first-frame blocks, long rows, and tau
        // placed on a prefix sum (where fp32 and fp64 may legitimately disagree).
        for (int round = 0; round < 7; round++)
        {
            AttentionShape shape = RandomShape(rng, maxVisual: 400);
            if (round == 0) shape = shape with { SequenceLength = shape.VisualTokens + 8, TextTokens = 8, ValidTextTokens = rng.Next(1, 9) };
            if (round == 1) shape = shape with { SequenceLength = shape.VisualTokens, TextTokens = 0, ValidTextTokens = 0 };
            // Round 5: rows longer than the group (several entries per thread in the sort and the prefix count).
            if (round == 5) shape = PooledMassesTests.Wide(rng, shape);
            int nQ = shape.QueryBlocks, nK = shape.KeyBlocks;
            bool hasText = shape.ValidTextTokens > 0;
            float tau = round == 2 ? 1f + rng.Next(2) * 0.5f : 0.02f + 0.9f * rng.NextSingle();
            int minCritical = rng.Next(3) == 0 ? 0 : rng.Next(0, nK + 2);
            // Ties: few distinct masses, a small tau and k_min inside the row, so the cutoff falls inside a run of equal
            // masses and only the lower-index rule decides which of them are kept.
            if (round == 3) (tau, minCritical) = (0.01f, rng.Next(1, Math.Max(2, nK)));
            bool neighbors = round == 4 || rng.Next(2) == 0;
            int firstFrame = round == 4 ? rng.Next(1, Math.Max(2, Math.Min(nQ, nK))) : rng.Next(3) == 0 ? rng.Next(0, Math.Min(nQ, nK) + 2) : 0;
            var (blockMass, textMass) = RandomMasses(rng, shape, withTies: round == 3);
            if (round == 6) (tau, minCritical) = (PrefixSumOfFirstRow(blockMass, hasText ? textMass[0] : null, nK, rng), 0);
            string context = $"seed {seed} round {round}: {shape} (nQ {nQ}, nK {nK}), tau {tau}, k_min {minCritical}, neighbours {neighbors}, F {firstFrame}";
            output.WriteLine(context);
            byte[] neighborBytes = [.. Enumerable.Range(0, nQ * nK).Select(_ => rng.Next(5) == 0 ? (byte)1 : (byte)0)];
            using var p = Upload(acc, blockMass);
            using var t = Upload(acc, textMass);
            // Without a neighbour mask the pipeline passes a 1-element buffer; it must not be read.
            using var near = neighbors ? Upload(acc, neighborBytes) : Upload(acc, new byte[] { 1 });
            long count = (long)shape.HeadCount * nQ * nK;
            using var mask = PoisonedBytes(acc, count);
            EstimationSteps.SelectCriticalBlocks(acc, shape, p.View, t.View, tau, minCritical, firstFrame, near.View, neighbors, mask.SubView(0, count));
            byte[] result = ReadMask(mask, count, context);

            var options = new RectifiedSpaAttnOptions
            {
                QueryBlockSize = shape.QueryBlockSize, KeyBlockSize = shape.KeyBlockSize, Tau = tau, MinCriticalBlocks = minCritical,
                FirstFrameBlocks = firstFrame, NeighborMask = neighbors ? Flags(neighborBytes, nQ, nK) : null,
            };
            HostTensor<bool> expected = ReferenceSteps.SelectCriticalBlocks(
                Tensor(blockMass, shape.Batch, shape.Heads, nQ, nK), Tensor(textMass, shape.Batch, shape.Heads, nQ), LayoutOf(shape), options);

            int nearTies = 0;
            for (int row = 0; row < shape.HeadCount * nQ; row++)
            {
                ReadOnlySpan<bool> want = expected.Span.Slice(row * nK, nK);
                bool[] got = [.. result.AsSpan(row * nK, nK).ToArray().Select(b => b != 0)];
                if (want.SequenceEqual(got)) continue;
                int i = row % nQ;
                bool[] forced = [.. Enumerable.Range(0, nK).Select(j => (neighbors && neighborBytes[i * nK + j] != 0) || (i < firstFrame && j < firstFrame))];
                double[] masses = [.. blockMass.AsSpan(row * nK, nK).ToArray().Select(m => (double)m)];
                string? why = MaskComparison.SelectionRowMismatch(got, masses, hasText ? textMass[row] : null, tau, minCritical, forced);
                Assert.True(why is null, $"{context}: row {row} differs from the reference {MaskComparison.Describe(want)}: {why}");
                nearTies++;
            }
            output.WriteLine($"  {shape.HeadCount * nQ} rows, {nearTies} differ from fp64 within the prefix-sum rounding window");
        }
    }

    /// <summary>
    /// Rows of positive masses with a wide spread (log-normal), summing to 1 with the text entry; with ties, only three
    /// distinct masses, so most entries tie exactly with others.
    /// </summary>
    private static (float[] BlockMass, float[] TextMass) RandomMasses(Random rng, AttentionShape shape, bool withTies)
    {
        int rows = shape.HeadCount * shape.QueryBlocks, nK = shape.KeyBlocks;
        bool hasText = shape.ValidTextTokens > 0;
        var blockMass = new float[rows * nK];
        var textMass = new float[rows];
        for (int row = 0; row < rows; row++)
        {
            var raw = new double[nK + 1];
            for (int e = 0; e <= nK; e++) raw[e] = Math.Exp(2.5 * Normal(rng));
            if (withTies)
                for (int e = 0; e <= nK; e++) raw[e] = new[] { 1.0, 2.0, 4.0 }[rng.Next(3)];
            if (!hasText) raw[nK] = 0;
            double total = raw.Sum();
            for (int j = 0; j < nK; j++) blockMass[row * nK + j] = (float)(raw[j] / total);
            textMass[row] = (float)(raw[nK] / total);
        }
        return (blockMass, textMass);
    }

    /// <summary>The fp64 prefix sum of the first row's sorted masses at a random position, rounded to float: a tau on which
    /// fp32 and fp64 prefix sums can fall on different sides.</summary>
    private static float PrefixSumOfFirstRow(float[] blockMass, float? textMass, int nK, Random rng)
    {
        List<double> row = [.. blockMass.AsSpan(0, nK).ToArray().Select(m => (double)m)];
        if (textMass is float t) row.Add(t);
        double[] sorted = [.. row.OrderByDescending(m => m)];
        int upTo = rng.Next(1, sorted.Length + 1);
        return (float)sorted.Take(upTo).Sum();
    }

    private static double Normal(Random rng) => Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble());
}
