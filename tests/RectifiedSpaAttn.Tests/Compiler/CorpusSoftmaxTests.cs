using RectifiedSpaAttn.Compute;
using RectifiedSpaAttn.Kernels.Corpus;
using RectifiedSpaAttn.Numerics;
using static RectifiedSpaAttn.Tests.Compiler.CorpusSupport;

namespace RectifiedSpaAttn.Tests.Compiler;

/// <summary>Row softmax in float, fp16 and bf16 against an fp64 host softmax of the same (rounded) inputs.</summary>
public sealed class CorpusSoftmaxTests(ITestOutputHelper output)
{
    public static TheoryData<AcceleratorKind, string> Cases() => PerKind(FloatTypes);

    [Theory]
    [MemberData(nameof(Cases))]
    public void RowSoftmaxIsStableAndNormalised(AcceleratorKind kind, string type)
    {
        switch (type)
        {
            case "float": Softmax<float>(kind); break;
            case "half": Softmax<Half>(kind); break;
            default: Softmax<BFloat16>(kind); break;
        }
    }

    private void Softmax<T>(AcceleratorKind kind) where T : unmanaged
    {
        KernelVariant variant = SoftmaxKernels.RowSoftmaxKernel.GetVariant(typeof(T));
        if (Accelerator(kind, variant, output) is not { } acc) return;
        var rng = NewRandom(output, out int seed);
        int rows = rng.Next(1, 40), cols = rng.Next(1, 700), group = 32 * rng.Next(1, Math.Min(8, acc.MaxGroupSizeFor(variant) / 32) + 1);
        // Logits up to +-60 (with a large shared offset on some rows): exp overflows float without the max subtraction.
        float[] logits = Uniform(rng, rows * cols, -60, 60);
        for (int r = 0; r < rows; r += 3)
            for (int c = 0; c < cols; c++) logits[r * cols + c] += 100;
        T[] input = Round<T>(logits);
        using var ins = Upload(acc, input);
        using DeviceBuffer<T> outs = Poisoned<T>(acc, rows * cols);
        SoftmaxKernels.RowSoftmaxKernel.Launch(acc, new LaunchDimensions(rows, group), ins.View, outs.View, cols);

        double[] x = ToDoubles(input), expected = new double[x.Length];
        for (int r = 0; r < rows; r++)
        {
            var row = x.AsSpan(r * cols, cols);
            double max = double.NegativeInfinity, sum = 0;
            foreach (double v in row) max = Math.Max(max, v);
            foreach (double v in row) sum += Math.Exp(v - max);
            for (int c = 0; c < cols; c++) expected[r * cols + c] = Math.Exp(row[c] - max) / sum;
        }
        // One rounding to T on the store dominates; float exp and the sums add a little.
        double limit = 2 * UnitRoundoff<T>() + 1e-5;
        AssertClose(expected, ToDoubles(outs.ToArray()), limit, $"seed {seed}: {typeof(T).Name}, {rows}x{cols}, group {group}", output);
    }
}
