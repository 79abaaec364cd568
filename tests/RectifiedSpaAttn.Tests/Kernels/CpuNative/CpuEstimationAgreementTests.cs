using RectifiedSpaAttn.Compute;
using RectifiedSpaAttn.Kernels.Attention;
using RectifiedSpaAttn.Kernels.Attention.Estimation;
using RectifiedSpaAttn.Kernels.CpuNative;
using RectifiedSpaAttn.Numerics;
using RectifiedSpaAttn.Reference;
using RectifiedSpaAttn.Tensors;
using RectifiedSpaAttn.Tests.Accelerators;
using RectifiedSpaAttn.Tests.Kernels.Estimation;
using static RectifiedSpaAttn.Tests.Kernels.Estimation.EstimationSupport;

namespace RectifiedSpaAttn.Tests.Kernels.CpuNative;

/// <summary>
/// <see cref="CpuEstimation"/> against the emulated estimation kernels on the same inputs. The host code performs the
/// kernels' fp32 operations in the kernels' order, so the claim is equality bit for bit, at every vector width: every
/// output, guard elements included (NaN compared by bits). A near-tie is no excuse here; any difference fails.
/// </summary>
public sealed class CpuEstimationAgreementTests(ITestOutputHelper output)
{
    private static readonly SimdLevel[] Levels = [SimdLevel.Scalar, SimdLevel.Vector128, SimdLevel.Vector256, SimdLevel.Vector512];
    private readonly Accelerator _cpu = TestAccelerators.Shared(AcceleratorKind.Cpu, output)!;

    [Theory]
    [InlineData("float")]
    [InlineData("half")]
    [InlineData("bfloat16")]
    public void ChainEqualsTheEmulatedKernelsBitForBit(string type)
    {
        var rng = NewRandom(output, out int seed);
        for (int round = 0; round < 3; round++)
        {
            switch (type)
            {
                case "float": Chain<float>(rng, seed, round); break;
                case "half": Chain<Half>(rng, seed, round); break;
                default: Chain<BFloat16>(rng, seed, round); break;
            }
        }
    }

    /// <summary>
    /// Selection on crafted masses: exact ties (only the lower-index rule decides), tau equal to a prefix sum (where the
    /// chunked fp32 prefix sums decide), rows longer than a kernel group (several entries per chunk), tau &gt;= 1.
    /// </summary>
    [Fact]
    public void SelectionEqualsTheKernelOnTiesAndPrefixBoundaries()
    {
        var rng = NewRandom(output, out int seed);
        for (int round = 0; round < 8; round++)
        {
            AttentionShape shape = RandomShape(rng, maxVisual: 300);
            if (round % 2 == 1) shape = PooledMassesTests.Wide(rng, shape);
            int nQ = shape.QueryBlocks, nK = shape.KeyBlocks, rows = shape.HeadCount * nQ;
            bool ties = round < 4;
            float[] masses = new float[rows * nK], text = new float[rows];
            for (int row = 0; row < rows; row++)
            {
                double[] raw = [.. Enumerable.Range(0, nK + 1).Select(_ => ties ? new[] { 1.0, 2.0, 4.0 }[rng.Next(3)] : Math.Exp(2.5 * rng.NextDouble()))];
                if (shape.ValidTextTokens == 0) raw[nK] = 0;
                double total = raw.Sum();
                for (int j = 0; j < nK; j++) masses[row * nK + j] = (float)(raw[j] / total);
                text[row] = (float)(raw[nK] / total);
            }
            // tau: a prefix sum of the first row's sorted entries (rounds 2, 3, 6, 7), at least 1 (round 4), else random.
            float tau = round == 4 ? 1f : round % 4 >= 2 ? PrefixOfFirstRow(masses, shape.ValidTextTokens > 0 ? text[0] : null, nK, rng) : 0.05f + 0.8f * rng.NextSingle();
            int minCritical = rng.Next(0, nK + 2), firstFrame = rng.Next(0, 3);
            byte[] neighbors = [.. Enumerable.Range(0, nQ * nK).Select(_ => rng.Next(5) == 0 ? (byte)1 : (byte)0)];
            bool hasNeighbors = rng.Next(2) == 0;
            string context = $"seed {seed} round {round}: {shape} (nQ {nQ}, nK {nK}), tau {tau:R}, k_min {minCritical}, F {firstFrame}, neighbours {hasNeighbors}";
            output.WriteLine(context);

            using var p = Upload(_cpu, masses);
            using var t = Upload(_cpu, text);
            using var near = Upload(_cpu, neighbors);
            using var kernelMask = PoisonedBytes(_cpu, masses.Length);
            using var hostMask = PoisonedBytes(_cpu, masses.Length);
            EstimationSteps.SelectCriticalBlocks(_cpu, shape, p.View, t.View, tau, minCritical, firstFrame, near.View, hasNeighbors, kernelMask.SubView(0, masses.Length));
            CpuEstimation.SelectCriticalBlocks(shape, p.View, t.View, tau, minCritical, firstFrame, near.View, hasNeighbors, hostMask.SubView(0, masses.Length));
            byte[] want = kernelMask.ToArray(), got = hostMask.ToArray();
            int first = Enumerable.Range(0, want.Length).FirstOrDefault(e => want[e] != got[e], -1);
            Assert.True(first < 0, $"{context}: mask byte {first} (row {first / Math.Max(1, nK)}) is {(first < 0 ? 0 : got[first])}, the kernel wrote {(first < 0 ? 0 : want[first])}");

            // And the rule itself, against fp64 prefix sums (differences only inside the fp32 rounding window).
            var options = new RectifiedSpaAttnOptions
            {
                QueryBlockSize = shape.QueryBlockSize, KeyBlockSize = shape.KeyBlockSize, Tau = tau, MinCriticalBlocks = minCritical,
                FirstFrameBlocks = firstFrame, NeighborMask = hasNeighbors ? Flags(neighbors, nQ, nK) : null,
            };
            HostTensor<bool> reference = ReferenceSteps.SelectCriticalBlocks(Tensor(masses, shape.Batch, shape.Heads, nQ, nK), Tensor(text, shape.Batch, shape.Heads, nQ),
                LayoutOf(shape), options);
            for (int row = 0; row < rows; row++)
            {
                bool[] flags = [.. got.AsSpan(row * nK, nK).ToArray().Select(x => x != 0)];
                if (reference.Span.Slice(row * nK, nK).SequenceEqual(flags)) continue;
                int i = row % nQ;
                bool[] forced = [.. Enumerable.Range(0, nK).Select(j => (hasNeighbors && neighbors[i * nK + j] != 0) || (i < firstFrame && j < firstFrame))];
                string? why = MaskComparison.SelectionRowMismatch(flags, [.. masses.AsSpan(row * nK, nK).ToArray().Select(x => (double)x)],
                    shape.ValidTextTokens > 0 ? text[row] : null, tau, minCritical, forced);
                Assert.True(why is null, $"{context}: row {row} {MaskComparison.Describe(flags)}: {why}");
            }
        }
    }

    private void Chain<T>(Random rng, int seed, int round) where T : unmanaged
    {
        AttentionShape shape = RandomShape(rng, maxVisual: 260);
        // Round 1: more key blocks than a kernel group (several columns per thread, chunked prefix sums); round 2: wide heads.
        if (round == 1) shape = PooledMassesTests.Wide(rng, shape);
        if (round == 2) shape = shape with { HeadDim = rng.Next(100, 200) };
        int nQ = shape.QueryBlocks, nK = shape.KeyBlocks;
        float tau = rng.Next(4) == 0 ? 1f : 0.1f + 0.7f * rng.NextSingle();
        int minCritical = rng.Next(0, nK / 2 + 1), firstFrame = rng.Next(0, 3);
        byte[]? neighbors = rng.Next(2) == 0 ? [.. Enumerable.Range(0, nQ * nK).Select(_ => rng.Next(6) == 0 ? (byte)1 : (byte)0)] : null;
        string context = $"seed {seed} round {round}: {typeof(T).Name} {shape} (nQ {nQ}, nK {nK}), tau {tau}, k_min {minCritical}, F {firstFrame}, neighbours {neighbors is not null}";
        output.WriteLine(context);
        T[] q = StructuredTokens<T>(rng, shape, shape.QueryBlockSize).Device;
        T[] k = StructuredTokens<T>(rng, shape, shape.KeyBlockSize).Device;
        T[] v = StructuredTokens<T>(rng, shape, shape.KeyBlockSize).Device;

        using var kernels = new EstimationBuffers<T>(_cpu, shape, q, k, v, neighbors);
        kernels.RunKernels(tau, minCritical, firstFrame);
        var expected = kernels.Outputs().ToList();
        foreach (SimdLevel level in Levels)
        {
            using var host = new EstimationBuffers<T>(_cpu, shape, q, k, v, neighbors);
            host.RunHost(tau, minCritical, firstFrame, level);
            foreach (((string name, Array want), (_, Array got)) in expected.Zip(host.Outputs()))
                AssertSameBits(want, got, $"{context}, {level}: {name}");
        }
    }

    private static void AssertSameBits(Array want, Array got, string context)
    {
        Assert.Equal(want.Length, got.Length);
        for (int e = 0; e < want.Length; e++)
        {
            object a = want.GetValue(e)!, b = got.GetValue(e)!;
            bool same = a is float fa && b is float fb ? BitConverter.SingleToInt32Bits(fa) == BitConverter.SingleToInt32Bits(fb) : a.Equals(b);
            Assert.True(same, $"{context}: element {e} is {b:R}, the emulated kernel wrote {a:R}");
        }
    }

    private static float PrefixOfFirstRow(float[] masses, float? text, int nK, Random rng)
    {
        List<double> row = [.. masses.AsSpan(0, nK).ToArray().Select(m => (double)m)];
        if (text is float t) row.Add(t);
        double[] sorted = [.. row.OrderByDescending(m => m)];
        return (float)sorted.Take(rng.Next(1, sorted.Length + 1)).Sum();
    }
}
