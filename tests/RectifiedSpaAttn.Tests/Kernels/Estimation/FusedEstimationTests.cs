using RectifiedSpaAttn.Compute;
using RectifiedSpaAttn.Kernels.Attention;
using RectifiedSpaAttn.Kernels.Attention.Estimation;
using RectifiedSpaAttn.Numerics;
using static RectifiedSpaAttn.Tests.Kernels.Estimation.EstimationSupport;

namespace RectifiedSpaAttn.Tests.Kernels.Estimation;

/// <summary>
/// The launches the pipeline makes (<c>EstimationRoute</c>: Q, K, V pooled in one launch; logits and GAPR verdicts from
/// one product; masses, selection and lists in one row kernel; then R and C) against the public steps one by one, which
/// the other estimation tests hold to the fp64 reference. Same kernels, same operation order: every output must be equal
/// bit for bit, with a selected mask and with a given one.
/// </summary>
public sealed class FusedEstimationTests(ITestOutputHelper output)
{
    public static TheoryData<AcceleratorKind, string> Cases() => KindsAndTypes();

    [Theory]
    [MemberData(nameof(Cases))]
    public void FusedLaunchesEqualTheStepByStepChain(AcceleratorKind kind, string type)
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
        for (int round = 0; round < 2; round++)
        {
            AttentionShape shape = RandomShape(rng, maxVisual: 300);
            // Round 1: more key blocks than a row group has threads, and heads wider than the pooling group's slots.
            if (round == 1) shape = PooledMassesTests.Wide(rng, shape) with { HeadDim = rng.Next(129, 300) };
            int nQ = shape.QueryBlocks, nK = shape.KeyBlocks, dim = shape.HeadDim;
            long rows = (long)shape.HeadCount * nQ, pairs = rows * nK, queryStats = rows * dim, keyStats = (long)shape.HeadCount * nK * dim;
            var rule = new SelectionRule(0.1f + 0.7f * rng.NextSingle(), rng.Next(0, nK / 2 + 1), rng.Next(0, 3), default, false);
            string context = $"seed {seed} round {round}: {typeof(T).Name} {shape} (nQ {nQ}, nK {nK}), {rule}";
            output.WriteLine(context);
            using var q = Upload(acc, StructuredTokens<T>(rng, shape, shape.QueryBlockSize).Device);
            using var k = Upload(acc, StructuredTokens<T>(rng, shape, shape.KeyBlockSize).Device);
            using var v = Upload(acc, StructuredTokens<T>(rng, shape, shape.KeyBlockSize).Device);
            using var neighbors = Upload(acc, new byte[] { 1 });

            Outputs steps = new(acc, queryStats, keyStats, rows, pairs), fused = new(acc, queryStats, keyStats, rows, pairs);
            try
            {
                EstimationSteps.PoolBlocks(acc, shape, q.View, shape.QueryBlockSize, steps.QueryMeans.View, steps.QueryDeviations.View, true);
                EstimationSteps.PoolBlocks(acc, shape, k.View, shape.KeyBlockSize, steps.KeyMeans.View, steps.KeyDeviations.View, true);
                EstimationSteps.PoolBlocks(acc, shape, v.View, shape.KeyBlockSize, steps.ValueMeans.View, steps.ValueMeans.View, false);
                EstimationSteps.PooledMasses(acc, shape, steps.QueryMeans.View, steps.KeyMeans.View, k.View, steps.Mass.View, steps.Text.View);
                EstimationSteps.SelectCriticalBlocks(acc, shape, steps.Mass.View, steps.Text.View, rule.Tau, rule.MinCriticalBlocks, rule.FirstFrameBlocks,
                    neighbors.View, false, steps.Mask.View);
                EstimationSteps.CompactCriticalBlocks(acc, shape, steps.Mask.View, steps.Counts.View, steps.Lists.View);
                EstimationSteps.RectificationTerms(acc, shape, steps.QueryMeans.View, steps.QueryDeviations.View, steps.KeyMeans.View,
                    steps.KeyDeviations.View, steps.ValueMeans.View, steps.Mass.View, steps.Text.View, steps.Mask.View, steps.Compensable.View,
                    steps.Rectification.View, steps.Compensation.View);

                EstimationSteps.PoolInputs(acc, shape, q.View, k.View, v.View, fused.QueryMeans.View, fused.QueryDeviations.View, fused.KeyMeans.View,
                    fused.KeyDeviations.View, fused.ValueMeans.View, rectify: true);
                EstimationSteps.PooledProducts(acc, shape, fused.QueryMeans.View, fused.QueryDeviations.View, fused.KeyMeans.View, fused.KeyDeviations.View,
                    fused.Mass.View, fused.Compensable.View, writeLogits: true, gapr: true);
                EstimationSteps.EstimateRows(acc, shape, fused.QueryMeans.View, k.View, fused.Mass.View, fused.Text.View,
                    RowWork.Masses | RowWork.Select | RowWork.Compact, rule with { NeighborMask = neighbors.View }, fused.Mask.View, fused.Counts.View, fused.Lists.View);
                EstimationSteps.CompensationTerms(acc, shape, fused.ValueMeans.View, fused.Mass.View, fused.Text.View, fused.Mask.View, fused.Compensable.View,
                    fused.Rectification.View, fused.Compensation.View);
                fused.AssertEqual(steps, context);

                // A given mask: masses and lists in one launch (the steps' mask is the input; the lists come from it).
                using var givenCounts = PoisonedInts(acc, rows);
                using var givenLists = PoisonedInts(acc, pairs);
                using var givenMass = PoisonedFloats(acc, pairs);
                using var givenText = PoisonedFloats(acc, rows);
                EstimationSteps.PooledProducts(acc, shape, fused.QueryMeans.View, fused.QueryDeviations.View, fused.KeyMeans.View, fused.KeyDeviations.View,
                    givenMass.View, default, writeLogits: true, gapr: false);
                EstimationSteps.EstimateRows(acc, shape, fused.QueryMeans.View, k.View, givenMass.View, givenText.View, RowWork.Masses | RowWork.Compact,
                    default, steps.Mask.View, givenCounts.View, givenLists.View);
                Outputs.Same(steps.Mass, givenMass, pairs, $"{context}: given mask, P");
                Outputs.Same(steps.Text, givenText, rows, $"{context}: given mask, T");
                Assert.Equal(steps.Counts.ToArray(), givenCounts.ToArray());
                Assert.Equal(steps.Lists.ToArray(), givenLists.ToArray());
            }
            finally
            {
                steps.Dispose();
                fused.Dispose();
            }
        }
    }

    /// <summary>Every estimation output, poisoned.</summary>
    private sealed class Outputs(Accelerator acc, long queryStats, long keyStats, long rows, long pairs) : IDisposable
    {
        public DeviceBuffer<float> QueryMeans { get; } = PoisonedFloats(acc, queryStats);
        public DeviceBuffer<float> QueryDeviations { get; } = PoisonedFloats(acc, queryStats);
        public DeviceBuffer<float> KeyMeans { get; } = PoisonedFloats(acc, keyStats);
        public DeviceBuffer<float> KeyDeviations { get; } = PoisonedFloats(acc, keyStats);
        public DeviceBuffer<float> ValueMeans { get; } = PoisonedFloats(acc, keyStats);
        public DeviceBuffer<float> Mass { get; } = PoisonedFloats(acc, pairs);
        public DeviceBuffer<float> Text { get; } = PoisonedFloats(acc, rows);
        public DeviceBuffer<byte> Mask { get; } = PoisonedBytes(acc, pairs);
        public DeviceBuffer<int> Counts { get; } = PoisonedInts(acc, rows);
        public DeviceBuffer<int> Lists { get; } = PoisonedInts(acc, pairs);
        public DeviceBuffer<byte> Compensable { get; } = PoisonedBytes(acc, pairs);
        public DeviceBuffer<float> Rectification { get; } = PoisonedFloats(acc, rows);
        public DeviceBuffer<float> Compensation { get; } = PoisonedFloats(acc, queryStats);

        public void AssertEqual(Outputs want, string context)
        {
            Same(want.QueryMeans, QueryMeans, queryStats, $"{context}: qbar");
            Same(want.QueryDeviations, QueryDeviations, queryStats, $"{context}: dq");
            Same(want.KeyMeans, KeyMeans, keyStats, $"{context}: kbar");
            Same(want.KeyDeviations, KeyDeviations, keyStats, $"{context}: dk");
            Same(want.ValueMeans, ValueMeans, keyStats, $"{context}: vbar");
            Same(want.Mass, Mass, pairs, $"{context}: P");
            Same(want.Text, Text, rows, $"{context}: T");
            Assert.True(want.Mask.ToArray().AsSpan().SequenceEqual(Mask.ToArray()), $"{context}: mask");
            Assert.True(want.Compensable.ToArray().AsSpan().SequenceEqual(Compensable.ToArray()), $"{context}: compensable");
            Assert.Equal(want.Counts.ToArray(), Counts.ToArray());
            Assert.Equal(want.Lists.ToArray(), Lists.ToArray());
            Same(want.Rectification, Rectification, rows, $"{context}: R");
            Same(want.Compensation, Compensation, queryStats, $"{context}: C");
        }

        /// <summary>Equal bit patterns over the first <paramref name="count"/> floats (poison included, so unwritten entries show).</summary>
        public static void Same(DeviceBuffer<float> want, DeviceBuffer<float> got, long count, string context)
        {
            float[] a = want.ToArray(), b = got.ToArray();
            for (long i = 0; i < count; i++)
                Assert.True(BitConverter.SingleToInt32Bits(a[i]) == BitConverter.SingleToInt32Bits(b[i]), $"{context}: element {i} is {b[i]:R}, the steps gave {a[i]:R}");
        }

        public void Dispose()
        {
            foreach (IDisposable d in new IDisposable[] { QueryMeans, QueryDeviations, KeyMeans, KeyDeviations, ValueMeans, Mass, Text, Mask, Counts, Lists,
                Compensable, Rectification, Compensation })
                d.Dispose();
        }
    }
}
