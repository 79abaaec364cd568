using RectifiedSpaAttn.Compute;
using RectifiedSpaAttn.Kernels.Corpus;
using static RectifiedSpaAttn.Tests.Compiler.CorpusSupport;

namespace RectifiedSpaAttn.Tests.Compiler;

/// <summary>Shared-memory and warp-shuffle reductions on every backend present, against fp64 host sums.</summary>
public sealed class CorpusReductionTests(ITestOutputHelper output)
{
    [Theory]
    [MemberData(nameof(Kinds), MemberType = typeof(CorpusSupport))]
    public void GroupPartialSumsCoverEveryElementOnce(AcceleratorKind kind)
    {
        KernelVariant variant = ReductionKernels.GroupPartialSumsKernel.GetVariant();
        if (Accelerator(kind, variant, output) is not { } acc) return;
        var rng = NewRandom(output, out int seed);
        // Only group sizes the kernel can launch with here (NVIDIA's OpenCL allows 256 for this one).
        int[] sizes = [.. new[] { 32, 64, 128, 256, 512 }.Where(g => g <= acc.MaxGroupSizeFor(variant))];
        int group = sizes[rng.Next(sizes.Length)], groups = rng.Next(1, 9);
        int n = rng.Next(1, 20000);
        // Integers: every partial is exact in float whatever the summation order, so the check can be exact.
        float[] input = [.. Enumerable.Range(0, n).Select(_ => (float)rng.Next(-100, 101))];
        using var ins = Upload(acc, input);
        using DeviceBuffer<float> partials = Poisoned<float>(acc, groups);
        ReductionKernels.GroupPartialSumsKernel.Launch(acc, new LaunchDimensions(groups, group), ins.View, partials.View, n);

        float[] result = partials.ToArray();
        for (int g = 0; g < groups; g++)
        {
            double expected = 0;
            for (int i = g * group; i < n; i += groups * group)
                for (int t = i; t < Math.Min(i + group, n); t++) expected += input[t];
            Assert.True(expected == result[g], $"seed {seed}: n {n}, {groups} groups of {group}: partial {g} = {result[g]}, expected {expected}");
        }
    }

    [Theory]
    [MemberData(nameof(Kinds), MemberType = typeof(CorpusSupport))]
    public void SumAtomicAddsEveryGroupIntoOneTotal(AcceleratorKind kind)
    {
        KernelVariant variant = ReductionKernels.SumAtomicKernel.GetVariant();
        if (Accelerator(kind, variant, output) is not { } acc) return;
        var rng = NewRandom(output, out int seed);
        // Up to 1024 threads where the kernel allows it (NVIDIA's OpenCL builds this one for at most 256).
        int[] sizes = [.. new[] { 64, 256, 1024 }.Where(g => g <= acc.MaxGroupSizeFor(variant))];
        int group = sizes[rng.Next(sizes.Length)], groups = rng.Next(2, 17);
        int n = rng.Next(10000, 60000);
        float[] input = Uniform(rng, n, 0f, 1f);
        using var ins = Upload(acc, input);
        using DeviceBuffer<float> total = acc.Allocate<float>(1);
        total.Fill(0f); // the kernel accumulates into it
        ReductionKernels.SumAtomicKernel.Launch(acc, new LaunchDimensions(groups, group), ins.View, total.View, n);

        double expected = input.Sum(v => (double)v);
        AssertClose([expected], [total.ToArray()[0]], 1e-5, $"seed {seed}: sum of {n} in {groups} groups of {group}", output);
    }

    [Theory]
    [MemberData(nameof(Kinds), MemberType = typeof(CorpusSupport))]
    public void RowSumsWithWarpSum(AcceleratorKind kind)
    {
        if (Accelerator(kind, WarpReductionKernels.RowSumsKernel.GetVariant(), output) is not { } acc) return;
        var rng = NewRandom(output, out int seed);
        int rows = rng.Next(1, 70), cols = rng.Next(1, 300), warpsPerGroup = rng.Next(1, 5);
        float[] matrix = Uniform(rng, rows * cols);
        using var ms = Upload(acc, matrix);
        using DeviceBuffer<float> sums = Poisoned<float>(acc, rows + 1);
        int groups = (rows + warpsPerGroup - 1) / warpsPerGroup;
        WarpReductionKernels.RowSumsKernel.Launch(acc, new LaunchDimensions(groups, 32 * warpsPerGroup), ms.View, sums.SubView(0, rows), rows, cols);

        float[] result = sums.ToArray();
        Assert.True(float.IsNaN(result[rows]), $"seed {seed}: the element past the rows was written");
        double[] expected = [.. Enumerable.Range(0, rows).Select(r => Enumerable.Range(0, cols).Sum(c => (double)matrix[r * cols + c]))];
        for (int r = 0; r < rows; r++)
        {
            // The worst-case bound of float summation in any order, plus the final rounding: (n + 1) * u * sum |x|.
            double bound = (cols + 1) * Math.Pow(2, -24) * Enumerable.Range(0, cols).Sum(c => Math.Abs((double)matrix[r * cols + c])) + 1e-30;
            Assert.True(Math.Abs(result[r] - expected[r]) <= bound, $"seed {seed}: {rows}x{cols}, {warpsPerGroup} warps/group: row {r} sum {result[r]}, expected {expected[r]}");
        }
    }

    [Theory]
    [MemberData(nameof(Kinds), MemberType = typeof(CorpusSupport))]
    public void RowMaxWithShuffleDownAndBroadcast(AcceleratorKind kind)
    {
        if (Accelerator(kind, WarpReductionKernels.RowMaxAndCenterKernel.GetVariant(), output) is not { } acc) return;
        var rng = NewRandom(output, out int seed);
        int rows = rng.Next(1, 70), cols = rng.Next(1, 300), warpsPerGroup = rng.Next(1, 5);
        float[] matrix = Uniform(rng, rows * cols, -1000, 1000);
        using var ms = Upload(acc, matrix);
        using DeviceBuffer<float> maxima = Poisoned<float>(acc, rows), centered = Poisoned<float>(acc, rows * cols);
        int groups = (rows + warpsPerGroup - 1) / warpsPerGroup;
        WarpReductionKernels.RowMaxAndCenterKernel.Launch(acc, new LaunchDimensions(groups, 32 * warpsPerGroup), ms.View, maxima.View, centered.View, rows, cols);

        // max and subtraction of a float are exact operations: the results must match bit for bit.
        float[] mx = maxima.ToArray(), ce = centered.ToArray();
        for (int r = 0; r < rows; r++)
        {
            float expected = matrix.AsSpan(r * cols, cols).ToArray().Max();
            Assert.True(expected == mx[r], $"seed {seed}: {rows}x{cols}: row {r} max {mx[r]}, expected {expected}");
            for (int c = 0; c < cols; c++)
                Assert.True(matrix[r * cols + c] - expected == ce[r * cols + c], $"seed {seed}: centered[{r},{c}] = {ce[r * cols + c]}, expected {matrix[r * cols + c] - expected}");
        }
    }

    [Theory]
    [MemberData(nameof(Kinds), MemberType = typeof(CorpusSupport))]
    public void SegmentPrefixSumsWithIndexShuffles(AcceleratorKind kind)
    {
        if (Accelerator(kind, WarpReductionKernels.SegmentPrefixSumsKernel.GetVariant(), output) is not { } acc) return;
        var rng = NewRandom(output, out int seed);
        int group = 32 * rng.Next(1, 5), groups = rng.Next(1, 6), n = group * groups;
        int[] values = [.. Enumerable.Range(0, n).Select(_ => rng.Next(-1000, 1000))];
        using var vs = Upload(acc, values);
        using DeviceBuffer<int> prefix = Poisoned<int>(acc, n);
        WarpReductionKernels.SegmentPrefixSumsKernel.Launch(acc, new LaunchDimensions(groups, group), vs.View, prefix.View);

        int[] result = prefix.ToArray();
        for (int i = 0; i < n; i++)
        {
            int expected = 0;
            for (int j = i / 32 * 32; j <= i; j++) expected += values[j];
            Assert.True(expected == result[i], $"seed {seed}: prefix[{i}] = {result[i]}, expected {expected}");
        }
    }
}
