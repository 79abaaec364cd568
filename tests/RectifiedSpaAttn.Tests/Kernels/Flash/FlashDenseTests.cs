using RectifiedSpaAttn.Compute;
using RectifiedSpaAttn.Kernels.Attention.Flash;
using RectifiedSpaAttn.Numerics;
using RectifiedSpaAttn.Reference;
using static RectifiedSpaAttn.Tests.Compiler.CorpusSupport;

namespace RectifiedSpaAttn.Tests.Kernels.Flash;

/// <summary>FlashSteps.DenseAttention against ReferenceSteps.DenseAttention on the same rounded inputs.</summary>
public sealed class FlashDenseTests(ITestOutputHelper output)
{
    /// <summary>(kind, element type, D, S_vis, S_txt, L_txt, first row, row count or -1 for all).</summary>
    public static TheoryData<AcceleratorKind, string, int, int, int, int, int, int> Cases()
    {
        var data = new TheoryData<AcceleratorKind, string, int, int, int, int, int, int>();
        foreach (AcceleratorKind kind in new[] { AcceleratorKind.Cpu, AcceleratorKind.OpenCL, AcceleratorKind.Cuda })
        {
            // Every row, with valid and invalid text slots; a partial range crossing from visual rows into valid and invalid text rows;
            // a range starting mid-sequence with no text at all.
            data.Add(kind, "float", 64, 150, 20, 13, 0, -1);
            data.Add(kind, "half", 128, 100, 8, 5, 37, 69);
            data.Add(kind, "bfloat16", 64, 130, 0, 0, 64, 66);
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void DenseAttentionMatchesTheReference(AcceleratorKind kind, string type, int headDim, int visual, int text, int validText,
        int first, int count)
    {
        switch (type)
        {
            case "float": Run<float>(kind, headDim, visual, text, validText, first, count); break;
            case "half": Run<Half>(kind, headDim, visual, text, validText, first, count); break;
            default: Run<BFloat16>(kind, headDim, visual, text, validText, first, count); break;
        }
    }

    private void Run<T>(AcceleratorKind kind, int headDim, int visual, int text, int validText, int first, int count) where T : unmanaged
    {
        if (Accelerator(kind, FlashAttentionKernels.DenseKernel.GetVariant(typeof(T), headDim), output) is not { } acc) return;
        var rng = NewRandom(output, out int seed);
        var data = FlashTestData<T>.Random(rng, batch: 2, heads: 1, visual, text, validText, headDim, 64, 64);
        if (count < 0) count = data.Shape.SequenceLength - first;
        using var q = Upload(acc, data.Q);
        using var k = Upload(acc, data.K);
        using var v = Upload(acc, data.V);
        using DeviceBuffer<T> o = Poisoned<T>(acc, data.Q.Length);

        FlashSteps.DenseAttention(acc, data.Shape, q.View, k.View, v.View, o.View, first, count);

        var expected = ReferenceSteps.DenseAttention(data.ExactQ, data.ExactK, data.ExactV, data.Layout);
        data.AssertRows(expected, o.ToArray(), t => t >= first && t < first + count, FlashTestData<T>.Tolerance,
            $"seed {seed}: dense {typeof(T).Name} D={headDim} S_vis={visual} text {validText}/{text} rows [{first}, {first + count})", output);
    }
}
