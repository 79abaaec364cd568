using System.Collections.Concurrent;
using RectifiedSpaAttn.Compute;
using RectifiedSpaAttn.Compute.Cpu;
using RectifiedSpaAttn.Kernels.Attention;
using RectifiedSpaAttn.Kernels.CpuNative;
using RectifiedSpaAttn.Numerics;
using RectifiedSpaAttn.Reference;
using RectifiedSpaAttn.Tensors;

namespace RectifiedSpaAttn.Tests.Kernels.CpuNative;

/// <summary>
/// <see cref="CpuFlashAttention.SparseAttention{T}(AttentionShape, ArrayView{T}, ArrayView{T}, ArrayView{T}, ArrayView{int}, ArrayView{int}, ArrayView{float}, ArrayView{float}, bool, ArrayView{T})"/>
/// against the fp64 reference: <see cref="ReferenceSteps.SparseAttention"/> under a random critical mask (empty, full and
/// partial rows), then <see cref="ReferenceSteps.ApplyRectification"/> with random R and C.
/// </summary>
public sealed class CpuFlashSparseTests(ITestOutputHelper output)
{
    [Fact]
    public void MatchesTheReferenceOnRandomMasksShapesTypesAndWidths()
    {
        using var cpu = new CpuAccelerator();
        var worst = new ConcurrentDictionary<ElementType, double>();
        FlashCase.Check(80, 260, c =>
        {
            double rel = c.Type switch
            {
                ElementType.Float32 => Check<float>(cpu, c),
                ElementType.Float16 => Check<Half>(cpu, c),
                _ => Check<BFloat16>(cpu, c),
            };
            worst.AddOrUpdate(c.Type, rel, (_, w) => Math.Max(w, rel));
        });
        foreach ((ElementType type, double rel) in worst) output.WriteLine($"sparse {type}: worst relative L2 {rel:E2}");
    }

    [Fact]
    public void RejectsCountsAndBlockIndicesOutOfRange()
    {
        using var cpu = new CpuAccelerator();
        var shape = new AttentionShape(1, 1, 8, 4, 0, 0, 4, 4); // nQ = nK = 2
        using DeviceBuffer<float> x = cpu.Allocate<float>(32), r = cpu.Allocate<float>(2), comp = cpu.Allocate<float>(8);
        using DeviceBuffer<int> counts = cpu.Allocate<int>(2), lists = cpu.Allocate<int>(4);
        counts.CopyFrom([3, 0]);
        lists.CopyFrom([0, 1, 0, 0]);
        var error = Assert.Throws<ArgumentException>(() => CpuFlashAttention.SparseAttention(shape, x.View, x.View, x.View, counts.View, lists.View, r.View, comp.View, true, x.View));
        Assert.Contains("counts[0] is 3", error.Message);
        counts.CopyFrom([1, 2]);
        lists.CopyFrom([0, -1, 1, 2]);
        error = Assert.Throws<ArgumentException>(() => CpuFlashAttention.SparseAttention(shape, x.View, x.View, x.View, counts.View, lists.View, r.View, comp.View, true, x.View));
        Assert.Contains("lists[1, 1] is 2", error.Message);
    }

    /// <summary>Runs one case, asserts the error bound on visual rows and that text rows stay untouched; returns the relative L2.</summary>
    private static double Check<T>(CpuAccelerator cpu, FlashCase c) where T : unmanaged
    {
        var random = new Random(c.Seed);
        long elements = (long)c.B * c.H * c.S * c.D;
        int nQ = c.Layout.QueryBlocks, nK = c.Layout.KeyBlocks, blockRows = c.B * c.H * nQ;
        double[] q = FlashHarness.Values(random, elements, c.Scale, c.Type);
        double[] k = FlashHarness.Values(random, elements, c.Scale, c.Type);
        double[] v = FlashHarness.Values(random, elements, 1.0, c.Type);
        (HostTensor<bool> mask, int[] counts, int[] lists) = RandomMask(random, c.B, c.H, nQ, nK);
        var rectification = new HostTensor<double>(c.B, c.H, nQ);
        var compensation = new HostTensor<double>(c.B, c.H, nQ, c.D);
        foreach (ref double r in rectification.Span) r = (float)(0.2 + random.NextDouble());
        foreach (ref double x in compensation.Span) x = (float)(random.NextDouble() - 0.5);

        var tq = new HostTensor<double>(q, c.B, c.H, c.S, c.D);
        HostTensor<double> os = ReferenceSteps.SparseAttention(tq, new HostTensor<double>(k, c.B, c.H, c.S, c.D), new HostTensor<double>(v, c.B, c.H, c.S, c.D), mask, c.Layout);
        double[] expected = c.Rectify
            ? ReferenceSteps.ApplyRectification(os, new RectificationTerms(rectification, compensation), c.Layout).Data
            : os.Data;

        using DeviceBuffer<T> bq = FlashHarness.Upload<T>(cpu, q), bk = FlashHarness.Upload<T>(cpu, k), bv = FlashHarness.Upload<T>(cpu, v);
        using DeviceBuffer<T> bo = FlashHarness.Poisoned<T>(cpu, elements);
        using DeviceBuffer<int> bCounts = cpu.Allocate<int>(Math.Max(counts.Length, 1)), bLists = cpu.Allocate<int>(Math.Max(lists.Length, 1));
        bCounts.CopyFrom(counts);
        bLists.CopyFrom(lists);
        // Without rectification the terms must not be read: hand over NaN buffers so a stray read would show.
        using DeviceBuffer<float> bR = c.Rectify ? Floats(cpu, rectification.Data) : FlashHarness.Poisoned<float>(cpu, blockRows);
        using DeviceBuffer<float> bC = c.Rectify ? Floats(cpu, compensation.Data) : FlashHarness.Poisoned<float>(cpu, (long)blockRows * c.D);
        CpuFlashAttention.SparseAttention(c.Shape, bq.View, bk.View, bv.View, bCounts.View, bLists.View, bR.View, bC.View, c.Rectify, bo.View, c.Level);
        double[] actual = FlashHarness.Download(bo);

        int visual = c.S - c.Text;
        (double rel, double maxAbs) = FlashHarness.Error(actual, expected, c.D, row => row % c.S < visual);
        Assert.True(rel <= c.Tolerance, $"{c}, density {ReferenceSteps.Density(mask):F2}: relative L2 {rel:E2} (max abs {maxAbs:E2}) exceeds {c.Tolerance:E0}.");
        long written = FlashHarness.FirstWritten(actual, c.D, row => row % c.S >= visual);
        Assert.True(written < 0, $"{c}: element {written} is in a text row but was written.");
        return rel;
    }

    /// <summary>
    /// A random critical mask with empty rows, full rows and rows of random density, and the same mask as the kernel's
    /// counts and lists: each row's blocks in shuffled order (the kernel must not rely on order), the unused tail -1.
    /// </summary>
    private static (HostTensor<bool> Mask, int[] Counts, int[] Lists) RandomMask(Random random, int b, int h, int nQ, int nK)
    {
        var mask = new HostTensor<bool>(b, h, nQ, nK);
        int rows = b * h * nQ;
        var counts = new int[rows];
        var lists = new int[rows * nK];
        Array.Fill(lists, -1);
        for (int row = 0; row < rows; row++)
        {
            double kind = random.NextDouble();
            double density = kind < 0.15 ? 0 : kind < 0.3 ? 1 : random.NextDouble();
            Span<bool> maskRow = mask.Span.Slice(row * nK, nK);
            var chosen = new List<int>();
            for (int j = 0; j < nK; j++)
                if (random.NextDouble() < density || density == 1) { maskRow[j] = true; chosen.Add(j); }
            int[] order = [.. chosen];
            random.Shuffle(order);
            counts[row] = order.Length;
            order.CopyTo(lists, row * nK);
        }
        return (mask, counts, lists);
    }

    private static DeviceBuffer<float> Floats(CpuAccelerator cpu, double[] values)
    {
        DeviceBuffer<float> buffer = cpu.Allocate<float>(Math.Max(values.Length, 1));
        buffer.CopyFrom(values.Select(x => (float)x).ToArray());
        return buffer;
    }
}
