using RectifiedSpaAttn.Compute;
using RectifiedSpaAttn.Kernels.Attention;
using RectifiedSpaAttn.Kernels.Attention.Estimation;
using static RectifiedSpaAttn.Tests.Kernels.Estimation.EstimationSupport;

namespace RectifiedSpaAttn.Tests.Kernels.Estimation;

/// <summary>The compact critical-block lists (<see cref="EstimationSteps.CompactCriticalBlocks"/>), checked exactly.</summary>
public sealed class CompactCriticalBlocksTests(ITestOutputHelper output)
{
    public static TheoryData<AcceleratorKind> Backends => Kinds;

    [Theory]
    [MemberData(nameof(Backends))]
    public void ListsHoldTheCriticalBlocksInOrder(AcceleratorKind kind)
    {
        if (Accelerator(kind, RowStepKernels.EstimateRowsKernel.GetVariant(typeof(float), (int)RowWork.Compact), output) is not { } acc) return;
        var rng = NewRandom(output, out int seed);
        for (int round = 0; round < 3; round++)
        {
            AttentionShape shape = RandomShape(rng, maxVisual: 600);
            int nK = shape.KeyBlocks, rows = shape.HeadCount * shape.QueryBlocks;
            string context = $"seed {seed} round {round}: {shape} ({rows} rows, nK {nK})";
            output.WriteLine(context);
            // Per-row densities from empty to full; supplied masks may use any non-zero byte for "critical".
            var mask = new byte[rows * nK];
            for (int row = 0; row < rows; row++)
            {
                double density = (row % 4) switch { 0 => 0.0, 1 => 1.0, _ => rng.NextDouble() };
                for (int j = 0; j < nK; j++) mask[row * nK + j] = rng.NextDouble() < density ? (byte)rng.Next(1, 256) : (byte)0;
            }
            using var masks = Upload(acc, mask);
            using var counts = PoisonedInts(acc, rows);
            using var lists = PoisonedInts(acc, (long)rows * nK);
            EstimationSteps.CompactCriticalBlocks(acc, shape, masks.View, counts.SubView(0, rows), lists.SubView(0, (long)rows * nK));

            int[] c = counts.ToArray(), l = lists.ToArray();
            Assert.True(c[rows] == unchecked((int)0xDEADBEEF), $"{context}: the count past the last row was written");
            Assert.True(l[rows * nK] == unchecked((int)0xDEADBEEF), $"{context}: the list entry past the last row was written");
            for (int row = 0; row < rows; row++)
            {
                int[] expected = [.. Enumerable.Range(0, nK).Where(j => mask[row * nK + j] != 0)];
                Assert.True(c[row] == expected.Length, $"{context}: row {row} count {c[row]}, expected {expected.Length}");
                int[] got = l[(row * nK)..((row + 1) * nK)];
                Assert.True(got.AsSpan(0, expected.Length).SequenceEqual(expected),
                    $"{context}: row {row} list [{string.Join(", ", got[..expected.Length])}], expected [{string.Join(", ", expected)}]");
                Assert.True(got[expected.Length..].All(v => v == -1), $"{context}: row {row}: entries past the count must be -1, got [{string.Join(", ", got[expected.Length..])}]");
            }
        }
    }
}
