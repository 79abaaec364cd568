using RectifiedSpaAttn.Compute;
using RectifiedSpaAttn.Kernels.Attention;
using RectifiedSpaAttn.Kernels.Attention.Estimation;
using RectifiedSpaAttn.Reference;
using RectifiedSpaAttn.Tensors;
using static RectifiedSpaAttn.Tests.Kernels.Estimation.EstimationSupport;

namespace RectifiedSpaAttn.Tests.Kernels.Estimation;

/// <summary>
/// GAPR and step 8's terms (<see cref="EstimationSteps.RectificationTerms"/>): the compensable mask against
/// <see cref="ReferenceSteps.Gapr"/> (near-ties per <see cref="MaskComparison.CompensableIsDecided"/>), then R and C against
/// <see cref="ReferenceSteps.Rectification"/> fed the kernel's own compensable mask, so verdict noise cannot leak into them.
/// </summary>
public sealed class RectificationTermsTests(ITestOutputHelper output)
{
    public static TheoryData<AcceleratorKind> Backends => Kinds;

    [Theory]
    [MemberData(nameof(Backends))]
    public void TermsMatchTheReference(AcceleratorKind kind)
    {
        if (Accelerator(kind, RectificationTermKernels.CompensationTermsKernel.GetVariant(), output) is not { } acc) return;
        var rng = NewRandom(output, out int seed);
        for (int round = 0; round < 3; round++)
        {
            AttentionShape shape = RandomShape(rng, maxVisual: 400);
            // Round 0: more key blocks than one shared tile holds; round 2: wide heads.
            if (round == 0) shape = PooledMassesTests.Wide(rng, shape);
            if (round == 2) shape = shape with { HeadDim = rng.Next(129, 257) };
            int b = shape.Batch, h = shape.Heads, nQ = shape.QueryBlocks, nK = shape.KeyBlocks, dim = shape.HeadDim;
            // Round 1: everything critical (then R = sum of all masses + T and C = 0 whatever GAPR says).
            double density = round == 1 ? 1.0 : rng.NextDouble() * 0.6;
            string context = $"seed {seed} round {round}: {shape} (nQ {nQ}, nK {nK}), mask density {density:F2}";
            output.WriteLine(context);

            // Deviations on the scale of the means, so that both verdicts occur.
            float[] qbar = NonZero(rng, (long)b * h * nQ * dim), kbar = NonZero(rng, (long)b * h * nK * dim), vbar = NonZero(rng, (long)b * h * nK * dim);
            float[] dq = NonZero(rng, qbar.Length, 0.01f, 0.6f), dk = NonZero(rng, kbar.Length, 0.01f, 0.6f);
            float[] blockMass = NonZero(rng, (long)b * h * nQ * nK, 0.001f, 1f), textMass = NonZero(rng, (long)b * h * nQ, 0.001f, 0.5f);
            byte[] mask = [.. Enumerable.Range(0, b * h * nQ * nK).Select(_ => rng.NextDouble() < density ? (byte)1 : (byte)0)];

            using var qs = Upload(acc, qbar);
            using var dqs = Upload(acc, dq);
            using var ks = Upload(acc, kbar);
            using var dks = Upload(acc, dk);
            using var vs = Upload(acc, vbar);
            using var ps = Upload(acc, blockMass);
            using var ts = Upload(acc, textMass);
            using var ms = Upload(acc, mask);
            long pairs = (long)b * h * nQ * nK, rows = (long)b * h * nQ;
            using var compensable = PoisonedBytes(acc, pairs);
            using var r = PoisonedFloats(acc, rows);
            using var c = PoisonedFloats(acc, rows * dim);
            EstimationSteps.RectificationTerms(acc, shape, qs.View, dqs.View, ks.View, dks.View, vs.View, ps.View, ts.View, ms.View,
                compensable.SubView(0, pairs), r.SubView(0, rows), c.SubView(0, rows * dim));
            byte[] verdicts = ReadMask(compensable, pairs, context);

            var queries = new BlockStatistics(Tensor(qbar, b, h, nQ, dim), Tensor(dq, b, h, nQ, dim));
            var keys = new BlockStatistics(Tensor(kbar, b, h, nK, dim), Tensor(dk, b, h, nK, dim));
            HostTensor<bool> gapr = ReferenceSteps.Gapr(queries, keys);
            int undecided = 0, compensableCount = 0;
            for (int bh = 0; bh < b * h; bh++)
                for (int i = 0; i < nQ; i++)
                    for (int j = 0; j < nK; j++)
                    {
                        long at = ((long)bh * nQ + i) * nK + j;
                        bool got = verdicts[at] != 0;
                        if (got) compensableCount++;
                        bool decided = MaskComparison.CompensableIsDecided(
                            queries.Means.Row(bh / h, bh % h, i), queries.MeanAbsoluteDeviations.Row(bh / h, bh % h, i),
                            keys.Means.Row(bh / h, bh % h, j), keys.MeanAbsoluteDeviations.Row(bh / h, bh % h, j), out bool expected);
                        Assert.True(expected == gapr.Span[(int)at], $"{context}: the comparison helper disagrees with ReferenceSteps.Gapr at {at}");
                        if (!decided) { undecided++; continue; }
                        Assert.True(got == expected, $"{context}: compensable[{bh}, {i}, {j}] = {got}, fp64 says {expected} outside the rounding window");
                    }
            output.WriteLine($"  {compensableCount} of {pairs} compensable; {undecided} within the rounding window");

            var implicitReference = new ImplicitReference(Tensor(blockMass, b, h, nQ, nK), Tensor(textMass, b, h, nQ));
            RectificationTerms terms = ReferenceSteps.Rectification(implicitReference, Flags(mask, b, h, nQ, nK), Flags(verdicts, b, h, nQ, nK), Tensor(vbar, b, h, nK, dim));
            // fp32 sums of at most nK terms of one sign (R) or mixed signs (C, relative to its own norm).
            AssertClose(terms.Rectification.Span, Read(r, rows, context), 1e-5, $"{context}: R", output);
            float[] compensation = Read(c, rows * dim, context);
            if (round == 1)
                Assert.True(compensation.All(v => v == 0f), $"{context}: C must be exactly 0 when every block is critical");
            else
                AssertClose(terms.Compensation.Span, compensation, 1e-5, $"{context}: C", output);
        }
    }
}
