using RectifiedSpaAttn.Compute;
using RectifiedSpaAttn.Kernels.Attention;
using RectifiedSpaAttn.Kernels.Attention.Estimation;
using RectifiedSpaAttn.Numerics;
using RectifiedSpaAttn.Reference;
using RectifiedSpaAttn.Tensors;
using static RectifiedSpaAttn.Tests.Kernels.Estimation.EstimationSupport;

namespace RectifiedSpaAttn.Tests.Kernels.Estimation;

/// <summary>
/// The estimation steps chained as the pipeline runs them (pool Q, K, V; masses; selection; compact lists; GAPR and the
/// rectification terms), each fed the previous kernel's output, against the fp64 reference steps run from the same rounded
/// Q, K, V. Mask differences must be near-ties of the fp64 masses (<see cref="MaskComparison.ComputedMassRowMismatch"/>).
/// </summary>
public sealed class EstimationChainTests(ITestOutputHelper output)
{
    public static TheoryData<AcceleratorKind, string> Cases() => KindsAndTypes();

    [Theory]
    [MemberData(nameof(Cases))]
    public void ChainedStepsMatchTheReference(AcceleratorKind kind, string type)
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
        if (Accelerator(kind, RowStepKernels.EstimateRowsKernel.GetVariant(typeof(T), (int)(RowWork.Masses | RowWork.Select | RowWork.Compact)), output) is not { } acc) return;
        var rng = NewRandom(output, out int seed);
        AttentionShape shape = RandomShape(rng, maxVisual: 300);
        BlockLayout layout = LayoutOf(shape);
        int b = shape.Batch, h = shape.Heads, nQ = shape.QueryBlocks, nK = shape.KeyBlocks, dim = shape.HeadDim;
        float tau = 0.1f + 0.7f * rng.NextSingle();
        int minCritical = rng.Next(0, nK / 2 + 1), firstFrame = rng.Next(0, 3);
        string context = $"seed {seed}: {typeof(T).Name} {shape} (nQ {nQ}, nK {nK}), tau {tau}, k_min {minCritical}, F {firstFrame}";
        output.WriteLine(context);

        var (q, qRef) = StructuredTokens<T>(rng, shape, shape.QueryBlockSize);
        var (k, kRef) = StructuredTokens<T>(rng, shape, shape.KeyBlockSize);
        var (v, vRef) = StructuredTokens<T>(rng, shape, shape.KeyBlockSize);
        long rows = (long)b * h * nQ, pairs = rows * nK, queryStats = rows * dim, keyStats = (long)b * h * nK * dim;
        using var qs = Upload(acc, q);
        using var ks = Upload(acc, k);
        using var vs = Upload(acc, v);
        using var qMean = PoisonedFloats(acc, queryStats);
        using var qDev = PoisonedFloats(acc, queryStats);
        using var kMean = PoisonedFloats(acc, keyStats);
        using var kDev = PoisonedFloats(acc, keyStats);
        using var vMean = PoisonedFloats(acc, keyStats);
        using var unused = PoisonedFloats(acc, 0);
        using var mass = PoisonedFloats(acc, pairs);
        using var text = PoisonedFloats(acc, rows);
        using var noNeighbors = Upload(acc, new byte[] { 1 });
        using var mask = PoisonedBytes(acc, pairs);
        using var counts = PoisonedInts(acc, rows);
        using var lists = PoisonedInts(acc, pairs);
        using var compensable = PoisonedBytes(acc, pairs);
        using var r = PoisonedFloats(acc, rows);
        using var c = PoisonedFloats(acc, queryStats);

        EstimationSteps.PoolBlocks(acc, shape, qs.View, shape.QueryBlockSize, qMean.View, qDev.View, true);
        EstimationSteps.PoolBlocks(acc, shape, ks.View, shape.KeyBlockSize, kMean.View, kDev.View, true);
        EstimationSteps.PoolBlocks(acc, shape, vs.View, shape.KeyBlockSize, vMean.View, unused.View, false);
        EstimationSteps.PooledMasses(acc, shape, qMean.View, kMean.View, ks.View, mass.View, text.View);
        EstimationSteps.SelectCriticalBlocks(acc, shape, mass.View, text.View, tau, minCritical, firstFrame, noNeighbors.View, false, mask.View);
        EstimationSteps.CompactCriticalBlocks(acc, shape, mask.View, counts.View, lists.View);
        EstimationSteps.RectificationTerms(acc, shape, qMean.View, qDev.View, kMean.View, kDev.View, vMean.View, mass.View, text.View,
            mask.View, compensable.View, r.View, c.View);

        // Reference steps from the same rounded inputs, in fp64 throughout.
        BlockStatistics queries = ReferenceSteps.Pool(qRef, shape.QueryBlockSize, shape.VisualTokens);
        BlockStatistics keys = ReferenceSteps.Pool(kRef, shape.KeyBlockSize, shape.VisualTokens);
        BlockStatistics values = ReferenceSteps.Pool(vRef, shape.KeyBlockSize, shape.VisualTokens);
        ImplicitReference masses = ReferenceSteps.Ipar(ReferenceSteps.Softmax(ReferenceSteps.PooledLogits(queries.Means, keys.Means, kRef, layout)), layout);
        var options = new RectifiedSpaAttnOptions
        {
            QueryBlockSize = shape.QueryBlockSize, KeyBlockSize = shape.KeyBlockSize, Tau = tau, MinCriticalBlocks = minCritical, FirstFrameBlocks = firstFrame,
        };
        HostTensor<bool> expectedMask = ReferenceSteps.SelectCriticalBlocks(masses.BlockMass, masses.TextMass, layout, options);

        AssertClose(values.Means.Span, Read(vMean, keyStats, context), 2e-6, $"{context}: vbar", output);
        float[] p = Read(mass, pairs, context), t = Read(text, rows, context);
        AssertClose(masses.BlockMass.Span, p, 1e-5, $"{context}: P", output);
        byte[] kernelMask = ReadMask(mask, pairs, context);
        int differing = 0;
        for (int row = 0; row < rows; row++)
        {
            ReadOnlySpan<bool> want = expectedMask.Span.Slice(row * nK, nK);
            bool[] got = [.. kernelMask.AsSpan(row * nK, nK).ToArray().Select(x => x != 0)];
            if (want.SequenceEqual(got)) continue;
            int i = row % nQ;
            bool[] forced = [.. Enumerable.Range(0, nK).Select(j => i < firstFrame && j < firstFrame)];
            bool hasText = shape.ValidTextTokens > 0;
            string? why = MaskComparison.ComputedMassRowMismatch(got,
                [.. p.AsSpan(row * nK, nK).ToArray().Select(x => (double)x)], hasText ? t[row] : null,
                masses.BlockMass.Span.Slice(row * nK, nK).ToArray(), hasText ? masses.TextMass.Span[row] : null,
                1e-5, tau, minCritical, forced);
            Assert.True(why is null, $"{context}: row {row} mask {MaskComparison.Describe(got)} vs fp64 {MaskComparison.Describe(want)}: {why}");
            differing++;
        }
        output.WriteLine($"  {rows} rows, {differing} differ from fp64 by near-ties");

        int[] n = counts.ToArray();
        for (int row = 0; row < rows; row++)
            Assert.True(n[row] == kernelMask.AsSpan(row * nK, nK).ToArray().Count(x => x != 0), $"{context}: row {row} count {n[row]} disagrees with its mask");

        // R and C from fp64 statistics and masses, with the kernel's own mask and compensable verdicts.
        byte[] verdicts = ReadMask(compensable, pairs, context);
        HostTensor<bool> gapr = ReferenceSteps.Gapr(queries, keys);
        for (long at = 0; at < pairs; at++)
        {
            int j = (int)(at % nK), i = (int)(at / nK % nQ), bh = (int)(at / nK / nQ);
            if (!MaskComparison.CompensableIsDecided(queries.Means.Row(bh / h, bh % h, i), queries.MeanAbsoluteDeviations.Row(bh / h, bh % h, i),
                    keys.Means.Row(bh / h, bh % h, j), keys.MeanAbsoluteDeviations.Row(bh / h, bh % h, j), out _)) continue;
            Assert.True((verdicts[at] != 0) == gapr.Span[(int)at], $"{context}: compensable[{bh}, {i}, {j}] = {verdicts[at]}, fp64 {gapr.Span[(int)at]} outside the rounding window");
        }
        RectificationTerms terms = ReferenceSteps.Rectification(masses, Flags(kernelMask, b, h, nQ, nK), Flags(verdicts, b, h, nQ, nK), values.Means);
        AssertClose(terms.Rectification.Span, Read(r, rows, context), 1e-5, $"{context}: R", output);
        AssertClose(terms.Compensation.Span, Read(c, queryStats, context), 2e-5, $"{context}: C", output);
    }
}
