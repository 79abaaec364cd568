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
/// <see cref="CpuFlashAttention.DenseAttention{T}(AttentionShape, ArrayView{T}, ArrayView{T}, ArrayView{T}, ArrayView{T}, int, int)"/>
/// against the fp64 reference (<see cref="ReferenceSteps.DenseAttention"/>) on the same rounded inputs.
/// </summary>
public sealed class CpuFlashDenseTests(ITestOutputHelper output)
{
    [Fact]
    public void MatchesTheReferenceOnRandomShapesTypesAndWidths()
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
        foreach ((ElementType type, double rel) in worst) output.WriteLine($"dense {type}: worst relative L2 {rel:E2}");
    }

    [Fact]
    public void ManyKeyTilesAndLargeLogitsStayAccurate()
    {
        // 700 keys = 11 key tiles, so the online rescaling runs many times per row; scale 6 makes logits of tens,
        // where exp without the running maximum would overflow fp32.
        using var cpu = new CpuAccelerator();
        foreach (int dim in new[] { 64, 128 })
        {
            var c = new FlashCase(Random.Shared.Next(), 1, 2, 700, dim, 64, 64, 30, 17, ElementType.Float32, SimdLevels.Best, 0, 700, false, 6.0);
            double rel = Check<float>(cpu, c);
            output.WriteLine($"dense D={dim} S=700 scale 6: relative L2 {rel:E2}");
        }
    }

    [Fact]
    public void RejectsUnsupportedElementsAndRowRanges()
    {
        using var cpu = new CpuAccelerator();
        var shape = new AttentionShape(1, 1, 8, 4, 0, 0, 4, 4);
        using DeviceBuffer<double> d = cpu.Allocate<double>(32);
        Assert.Throws<NotSupportedException>(() => CpuFlashAttention.DenseAttention(shape, d.View, d.View, d.View, d.View, 0, 8));
        using DeviceBuffer<float> f = cpu.Allocate<float>(32);
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => CpuFlashAttention.DenseAttention(shape, f.View, f.View, f.View, f.View, 4, 5));
        Assert.Contains("[4, 9)", error.Message);
        using DeviceBuffer<float> small = cpu.Allocate<float>(31);
        Assert.Throws<ArgumentException>(() => CpuFlashAttention.DenseAttention(shape, f.View, f.View, f.View, small.View, 0, 8));
    }

    /// <summary>Runs one case, asserts the error bound and that rows outside the range stay untouched; returns the relative L2.</summary>
    private static double Check<T>(CpuAccelerator cpu, FlashCase c) where T : unmanaged
    {
        var random = new Random(c.Seed);
        long elements = (long)c.B * c.H * c.S * c.D;
        double[] q = FlashHarness.Values(random, elements, c.Scale, c.Type);
        double[] k = FlashHarness.Values(random, elements, c.Scale, c.Type);
        double[] v = FlashHarness.Values(random, elements, 1.0, c.Type);
        double[] expected = ReferenceSteps.DenseAttention(
            new HostTensor<double>(q, c.B, c.H, c.S, c.D), new HostTensor<double>(k, c.B, c.H, c.S, c.D),
            new HostTensor<double>(v, c.B, c.H, c.S, c.D), c.Layout).Data;

        using DeviceBuffer<T> bq = FlashHarness.Upload<T>(cpu, q), bk = FlashHarness.Upload<T>(cpu, k), bv = FlashHarness.Upload<T>(cpu, v);
        using DeviceBuffer<T> bo = FlashHarness.Poisoned<T>(cpu, elements);
        CpuFlashAttention.DenseAttention(c.Shape, bq.View, bk.View, bv.View, bo.View, c.QueryStart, c.QueryCount, c.Level);
        double[] actual = FlashHarness.Download(bo);

        bool InRange(long row) => row % c.S >= c.QueryStart && row % c.S < c.QueryStart + c.QueryCount;
        (double rel, double maxAbs) = FlashHarness.Error(actual, expected, c.D, InRange);
        Assert.True(rel <= c.Tolerance, $"{c}: relative L2 {rel:E2} (max abs {maxAbs:E2}) exceeds {c.Tolerance:E0}.");
        long written = FlashHarness.FirstWritten(actual, c.D, row => !InRange(row));
        Assert.True(written < 0, $"{c}: element {written} lies outside the query range but was written.");
        return rel;
    }
}
