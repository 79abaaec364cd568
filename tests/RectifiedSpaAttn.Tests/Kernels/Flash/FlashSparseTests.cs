using RectifiedSpaAttn.Compute;
using RectifiedSpaAttn.Kernels.Attention.Flash;
using RectifiedSpaAttn.Numerics;
using RectifiedSpaAttn.Reference;
using RectifiedSpaAttn.Tensors;
using static RectifiedSpaAttn.Tests.Compiler.CorpusSupport;

namespace RectifiedSpaAttn.Tests.Kernels.Flash;

/// <summary>
/// FlashSteps.SparseAttention against ReferenceSteps.SparseAttention (and ApplyRectification with random R and C) for
/// random critical-block masks that include empty and full rows, handed to the kernel as shuffled block lists.
/// </summary>
public sealed class FlashSparseTests(ITestOutputHelper output)
{
    /// <summary>(kind, element type, D, M, N, S_vis, S_txt, L_txt, rectify).</summary>
    public static TheoryData<AcceleratorKind, string, int, int, int, int, int, int, bool> Cases()
    {
        var data = new TheoryData<AcceleratorKind, string, int, int, int, int, int, int, bool>();
        foreach (AcceleratorKind kind in new[] { AcceleratorKind.Cpu, AcceleratorKind.OpenCL, AcceleratorKind.Cuda })
        {
            data.Add(kind, "float", 128, 64, 64, 200, 16, 9, false);
            data.Add(kind, "float", 128, 64, 64, 200, 16, 9, true);
            data.Add(kind, "half", 64, 128, 128, 300, 0, 0, true);
            // No valid text: an empty row attends nothing, so its output is exactly C.
            data.Add(kind, "bfloat16", 128, 64, 128, 250, 10, 0, true);
            data.Add(kind, "float", 64, 128, 64, 190, 5, 5, false);
            // Block sizes that are not multiples of the kernel's 64-row and 16-key tiles.
            data.Add(kind, "float", 64, 100, 40, 210, 3, 2, true);
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void SparseAttentionMatchesTheReference(AcceleratorKind kind, string type, int headDim, int queryBlock, int keyBlock,
        int visual, int text, int validText, bool rectify)
    {
        switch (type)
        {
            case "float": Run<float>(kind, headDim, queryBlock, keyBlock, visual, text, validText, rectify); break;
            case "half": Run<Half>(kind, headDim, queryBlock, keyBlock, visual, text, validText, rectify); break;
            default: Run<BFloat16>(kind, headDim, queryBlock, keyBlock, visual, text, validText, rectify); break;
        }
    }

    /// <summary>
    /// Shapes drawn at random on the CPU accelerator: any head dim that is built, block sizes from 1 to 160 (not only
    /// multiples of the kernel's tiles), sequences down to a single visual token, and any text split.
    /// </summary>
    [Fact]
    public void RandomShapesMatchTheReferenceOnTheCpu()
    {
        var rng = NewRandom(output, out _);
        for (int draw = 0; draw < 6; draw++)
        {
            int headDim = rng.Next(2) == 0 ? 64 : 128;
            int queryBlock = rng.Next(1, 161), keyBlock = rng.Next(1, 161);
            int visual = rng.Next(1, 200), text = rng.Next(0, 12), validText = rng.Next(0, text + 1);
            bool rectify = rng.Next(2) == 0;
            switch (rng.Next(3))
            {
                case 0: Run<float>(AcceleratorKind.Cpu, headDim, queryBlock, keyBlock, visual, text, validText, rectify); break;
                case 1: Run<Half>(AcceleratorKind.Cpu, headDim, queryBlock, keyBlock, visual, text, validText, rectify); break;
                default: Run<BFloat16>(AcceleratorKind.Cpu, headDim, queryBlock, keyBlock, visual, text, validText, rectify); break;
            }
        }
    }

    private void Run<T>(AcceleratorKind kind, int headDim, int queryBlock, int keyBlock, int visual, int text, int validText, bool rectify)
        where T : unmanaged
    {
        if (Accelerator(kind, FlashAttentionKernels.SparseKernel.GetVariant(typeof(T), headDim), output) is not { } acc) return;
        var rng = NewRandom(output, out int seed);
        var data = FlashTestData<T>.Random(rng, batch: 1, heads: 2, visual, text, validText, headDim, queryBlock, keyBlock);
        var shape = data.Shape;
        int nQ = shape.QueryBlocks, nK = shape.KeyBlocks;
        HostTensor<bool> mask = RandomMask(rng, shape.HeadCount, nQ, nK);
        (int[] counts, int[] lists) = ToLists(rng, mask, nK);
        float[] r = Uniform(rng, shape.HeadCount * nQ, 0.5f, 1.5f);
        float[] c = Uniform(rng, shape.HeadCount * nQ * headDim, -0.5f, 0.5f);

        using var q = Upload(acc, data.Q);
        using var k = Upload(acc, data.K);
        using var v = Upload(acc, data.V);
        using var dCounts = Upload(acc, counts);
        using var dLists = Upload(acc, lists);
        using var dR = Upload(acc, r);
        using var dC = Upload(acc, c);
        using DeviceBuffer<T> o = Poisoned<T>(acc, data.Q.Length);

        FlashSteps.SparseAttention(acc, shape, q.View, k.View, v.View, dCounts.View, dLists.View, dR.View, dC.View, rectify, o.View);

        var expected = ReferenceSteps.SparseAttention(data.ExactQ, data.ExactK, data.ExactV, mask.Reshape(1, 2, nQ, nK), data.Layout);
        if (rectify)
        {
            var terms = new RectificationTerms(new HostTensor<double>([.. r.Select(x => (double)x)], 1, 2, nQ),
                new HostTensor<double>([.. c.Select(x => (double)x)], 1, 2, nQ, headDim));
            expected = ReferenceSteps.ApplyRectification(expected, terms, data.Layout);
        }
        data.AssertRows(expected, o.ToArray(), t => t < visual, FlashTestData<T>.Tolerance,
            $"seed {seed}: sparse {typeof(T).Name} D={headDim} M={queryBlock} N={keyBlock} S_vis={visual} text {validText}/{text} "
            + $"rectify {rectify}, density {ReferenceSteps.Density(mask):F2}", output);
    }

    /// <summary>
    /// A mask <c>[heads, nQ, nK]</c>: in head 0, row 0 is empty and row 1 full; every other row is empty, full or a random
    /// subset (about half the blocks).
    /// </summary>
    private static HostTensor<bool> RandomMask(Random rng, int heads, int nQ, int nK)
    {
        var mask = new HostTensor<bool>(heads, nQ, nK);
        for (int h = 0; h < heads; h++)
            for (int i = 0; i < nQ; i++)
            {
                int mode = h == 0 && i < 2 ? i : rng.Next(3);
                for (int j = 0; j < nK; j++) mask[h, i, j] = mode == 1 || (mode == 2 && rng.Next(2) == 0);
            }
        return mask;
    }

    /// <summary>
    /// The kernel's form of <paramref name="mask"/>: per row a count and the critical blocks in random order, the unused
    /// tail filled with valid block indices so that reading past the count would change the result.
    /// </summary>
    private static (int[] Counts, int[] Lists) ToLists(Random rng, HostTensor<bool> mask, int nK)
    {
        int rows = (int)(mask.Length / nK);
        var counts = new int[rows];
        var lists = new int[rows * nK];
        for (int row = 0; row < rows; row++)
        {
            int[] critical = [.. Enumerable.Range(0, nK).Where(j => mask.Span[row * nK + j])];
            rng.Shuffle(critical);
            counts[row] = critical.Length;
            for (int e = 0; e < nK; e++) lists[row * nK + e] = e < critical.Length ? critical[e] : rng.Next(nK);
        }
        return (counts, lists);
    }
}
