using RectifiedSpaAttn.Compute;
using RectifiedSpaAttn.Kernels.Attention;
using RectifiedSpaAttn.Kernels.CpuNative;
using RectifiedSpaAttn.Numerics;
using RectifiedSpaAttn.Reference;
using RectifiedSpaAttn.Tensors;
using RectifiedSpaAttn.Tests.Accelerators;
using RectifiedSpaAttn.Tests.Kernels.Estimation;
using static RectifiedSpaAttn.Tests.Kernels.Estimation.EstimationSupport;

namespace RectifiedSpaAttn.Tests.Kernels.CpuNative;

/// <summary>
/// <see cref="CpuEstimation"/>'s five steps chained as the pipeline runs them, against the fp64 reference steps run from
/// the same rounded Q, K, V, with the kernel tests' limits and near-tie rules (<see cref="MaskComparison"/>). Rounds: text
/// slots of which only some are valid, no text, rows wider than a kernel group with a neighbour mask and first-frame
/// blocks, and tau &gt;= 1 (everything critical: R = 1 within rounding, C = 0 exactly).
/// </summary>
public sealed class CpuEstimationChainTests(ITestOutputHelper output)
{
    private readonly Accelerator _cpu = TestAccelerators.Shared(AcceleratorKind.Cpu, output)!;

    [Theory]
    [InlineData("float")]
    [InlineData("half")]
    [InlineData("bfloat16")]
    public void ChainedStepsMatchTheReference(string type)
    {
        var rng = NewRandom(output, out int seed);
        for (int round = 0; round < 4; round++)
        {
            switch (type)
            {
                case "float": Run<float>(rng, seed, round); break;
                case "half": Run<Half>(rng, seed, round); break;
                default: Run<BFloat16>(rng, seed, round); break;
            }
        }
    }

    private void Run<T>(Random rng, int seed, int round) where T : unmanaged
    {
        AttentionShape shape = RandomShape(rng, maxVisual: 300);
        if (round == 0) shape = shape with { SequenceLength = shape.VisualTokens + 12, TextTokens = 12, ValidTextTokens = rng.Next(1, 12) };
        if (round == 1) shape = shape with { SequenceLength = shape.VisualTokens, TextTokens = 0, ValidTextTokens = 0 };
        if (round == 2) shape = PooledMassesTests.Wide(rng, shape);
        BlockLayout layout = LayoutOf(shape);
        int b = shape.Batch, h = shape.Heads, nQ = shape.QueryBlocks, nK = shape.KeyBlocks, dim = shape.HeadDim;
        float tau = round == 3 ? 1f : 0.1f + 0.7f * rng.NextSingle();
        int minCritical = rng.Next(0, nK / 2 + 1), firstFrame = round == 2 ? rng.Next(1, Math.Min(nQ, nK) + 1) : rng.Next(0, 3);
        bool neighbors = round == 2 || rng.Next(2) == 0;
        byte[] neighborBytes = [.. Enumerable.Range(0, nQ * nK).Select(_ => rng.Next(6) == 0 ? (byte)1 : (byte)0)];
        string context = $"seed {seed} round {round}: {typeof(T).Name} {shape} (nQ {nQ}, nK {nK}), tau {tau}, k_min {minCritical}, F {firstFrame}, neighbours {neighbors}";
        output.WriteLine(context);

        var (q, qRef) = StructuredTokens<T>(rng, shape, shape.QueryBlockSize);
        var (k, kRef) = StructuredTokens<T>(rng, shape, shape.KeyBlockSize);
        var (v, vRef) = StructuredTokens<T>(rng, shape, shape.KeyBlockSize);
        using var buffers = new EstimationBuffers<T>(_cpu, shape, q, k, v, neighbors ? neighborBytes : null);
        buffers.RunHost(tau, minCritical, firstFrame, SimdLevels.Best);

        BlockStatistics queries = ReferenceSteps.Pool(qRef, shape.QueryBlockSize, shape.VisualTokens);
        BlockStatistics keys = ReferenceSteps.Pool(kRef, shape.KeyBlockSize, shape.VisualTokens);
        BlockStatistics values = ReferenceSteps.Pool(vRef, shape.KeyBlockSize, shape.VisualTokens);
        ImplicitReference masses = ReferenceSteps.Ipar(ReferenceSteps.Softmax(ReferenceSteps.PooledLogits(queries.Means, keys.Means, kRef, layout)), layout);
        var options = new RectifiedSpaAttnOptions
        {
            QueryBlockSize = shape.QueryBlockSize, KeyBlockSize = shape.KeyBlockSize, Tau = tau, MinCriticalBlocks = minCritical,
            FirstFrameBlocks = firstFrame, NeighborMask = neighbors ? Flags(neighborBytes, nQ, nK) : null,
        };
        HostTensor<bool> expectedMask = ReferenceSteps.SelectCriticalBlocks(masses.BlockMass, masses.TextMass, layout, options);

        long rows = buffers.Rows, pairs = buffers.Pairs, queryStats = rows * dim, keyStats = (long)b * h * nK * dim;
        AssertClose(queries.Means.Span, Read(buffers.QueryMeans, queryStats, context), 2e-6, $"{context}: qbar", output);
        AssertClose(queries.MeanAbsoluteDeviations.Span, Read(buffers.QueryDeviations, queryStats, context), 1e-5, $"{context}: dq", output);
        AssertClose(keys.Means.Span, Read(buffers.KeyMeans, keyStats, context), 2e-6, $"{context}: kbar", output);
        AssertClose(keys.MeanAbsoluteDeviations.Span, Read(buffers.KeyDeviations, keyStats, context), 1e-5, $"{context}: dk", output);
        AssertClose(values.Means.Span, Read(buffers.ValueMeans, keyStats, context), 2e-6, $"{context}: vbar", output);
        Assert.True(buffers.Unused.ToArray().All(float.IsNaN), $"{context}: V's deviations were written although not asked for");
        float[] p = Read(buffers.BlockMass, pairs, context), t = Read(buffers.TextMass, rows, context);
        AssertClose(masses.BlockMass.Span, p, 1e-5, $"{context}: P", output);
        if (shape.ValidTextTokens == 0) Assert.True(t.All(x => x == 0f), $"{context}: T must be exactly 0 without valid text keys");
        else AssertClose(masses.TextMass.Span, t, 1e-5, $"{context}: T", output);

        byte[] mask = ReadMask(buffers.Mask, pairs, context);
        int differing = 0;
        for (int row = 0; row < rows; row++)
        {
            ReadOnlySpan<bool> want = expectedMask.Span.Slice(row * nK, nK);
            bool[] got = [.. mask.AsSpan(row * nK, nK).ToArray().Select(x => x != 0)];
            if (want.SequenceEqual(got)) continue;
            int i = row % nQ;
            bool[] forced = [.. Enumerable.Range(0, nK).Select(j => (neighbors && neighborBytes[i * nK + j] != 0) || (i < firstFrame && j < firstFrame))];
            bool hasText = shape.ValidTextTokens > 0;
            string? why = MaskComparison.ComputedMassRowMismatch(got, [.. p.AsSpan(row * nK, nK).ToArray().Select(x => (double)x)], hasText ? t[row] : null,
                masses.BlockMass.Span.Slice(row * nK, nK).ToArray(), hasText ? masses.TextMass.Span[row] : null, 1e-5, tau, minCritical, forced);
            Assert.True(why is null, $"{context}: row {row} mask {MaskComparison.Describe(got)} vs fp64 {MaskComparison.Describe(want)}: {why}");
            differing++;
        }
        output.WriteLine($"  {rows} rows, {differing} differ from fp64 by near-ties");
        if (tau >= 1) Assert.True(mask.All(x => x == 1), $"{context}: tau >= 1 must keep every block");
        AssertLists(buffers, mask, nK, context);

        byte[] verdicts = ReadMask(buffers.Compensable, pairs, context);
        HostTensor<bool> gapr = ReferenceSteps.Gapr(queries, keys);
        for (long at = 0; at < pairs; at++)
        {
            int j = (int)(at % nK), i = (int)(at / nK % nQ), bh = (int)(at / nK / nQ);
            if (!MaskComparison.CompensableIsDecided(queries.Means.Row(bh / h, bh % h, i), queries.MeanAbsoluteDeviations.Row(bh / h, bh % h, i),
                    keys.Means.Row(bh / h, bh % h, j), keys.MeanAbsoluteDeviations.Row(bh / h, bh % h, j), out _)) continue;
            Assert.True((verdicts[at] != 0) == gapr.Span[(int)at], $"{context}: compensable[{bh}, {i}, {j}] = {verdicts[at]}, fp64 {gapr.Span[(int)at]} outside the rounding window");
        }
        RectificationTerms terms = ReferenceSteps.Rectification(masses, Flags(mask, b, h, nQ, nK), Flags(verdicts, b, h, nQ, nK), values.Means);
        float[] r = Read(buffers.Rectification, rows, context), c = Read(buffers.Compensation, queryStats, context);
        AssertClose(terms.Rectification.Span, r, 1e-5, $"{context}: R", output);
        if (tau >= 1)
        {
            Assert.True(c.All(x => x == 0f), $"{context}: C must be exactly 0 when every block is critical");
            Assert.True(r.All(x => Math.Abs(x - 1) < 1e-5), $"{context}: R must be 1 when every block is critical, got [{string.Join(", ", r.Take(8))}...]");
        }
        else
        {
            AssertClose(terms.Compensation.Span, c, 2e-5, $"{context}: C", output);
        }
    }

    /// <summary>Counts match the mask, lists hold the critical blocks ascending, -1 after them, and nothing past the end is written.</summary>
    private static void AssertLists<T>(EstimationBuffers<T> buffers, byte[] mask, int nK, string context) where T : unmanaged
    {
        int rows = (int)buffers.Rows;
        int[] counts = buffers.Counts.ToArray(), lists = buffers.Lists.ToArray();
        Assert.True(counts[rows] == unchecked((int)0xDEADBEEF), $"{context}: the count past the last row was written");
        Assert.True(lists[rows * nK] == unchecked((int)0xDEADBEEF), $"{context}: the list entry past the last row was written");
        for (int row = 0; row < rows; row++)
        {
            int[] expected = [.. Enumerable.Range(0, nK).Where(j => mask[row * nK + j] != 0)];
            Assert.True(counts[row] == expected.Length, $"{context}: row {row} count {counts[row]}, mask has {expected.Length}");
            int[] got = lists[(row * nK)..((row + 1) * nK)];
            Assert.True(got[..expected.Length].SequenceEqual(expected), $"{context}: row {row} list [{string.Join(", ", got)}], expected [{string.Join(", ", expected)}]");
            Assert.True(got[expected.Length..].All(x => x == -1), $"{context}: row {row}: entries past the count must be -1, got [{string.Join(", ", got)}]");
        }
    }
}
