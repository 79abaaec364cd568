using RectifiedSpaAttn.Compute;
using RectifiedSpaAttn.Kernels.Attention.Flash.Hopper;
using RectifiedSpaAttn.Kernels.Attention.Flash.TensorCore;
using RectifiedSpaAttn.Numerics;
using RectifiedSpaAttn.Reference;
using RectifiedSpaAttn.Tensors;
using RectifiedSpaAttn.Tests.Accelerators;
using RectifiedSpaAttn.Tests.Kernels.CpuNative;

namespace RectifiedSpaAttn.Tests.Kernels.Flash.TensorCore;

/// <summary>
/// <see cref="TensorCoreFlashSteps.SparseAttention{T}"/> against the fp64 reference: <see cref="ReferenceSteps.SparseAttention"/>
/// under random, empty and full critical masks, then <see cref="ReferenceSteps.ApplyRectification"/> with random R and C;
/// inputs drawn fresh each run, on the CPU accelerator (exact mma/ldmatrix emulation) and on CUDA when present.
/// </summary>
public sealed class TensorCoreFlashSparseTests(ITestOutputHelper output)
{
    /// <summary>Every backend that runs the tensor-core variants (OpenCL refuses them: too many mma sites) times every case.</summary>
    public static TheoryData<AcceleratorKind, int> Cases()
    {
        var data = new TheoryData<AcceleratorKind, int>();
        foreach (AcceleratorKind kind in new[] { AcceleratorKind.Cpu, AcceleratorKind.Cuda })
            for (int i = 0; i < TensorCoreFlashCase.Sparse.Length; i++) data.Add(kind, i);
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void MatchesTheReference(AcceleratorKind kind, int index)
    {
        Accelerator? accelerator = TestAccelerators.Shared(kind, output);
        if (accelerator is null) return;
        TensorCoreFlashCase c = TensorCoreFlashCase.Sparse[index];
        int seed = TestAccelerators.NewSeed();
        (double rel, double maxAbs, double density) = c.Type == ElementType.Float16
            ? Check<Half>(accelerator, c, seed)
            : Check<BFloat16>(accelerator, c, seed);
        output.WriteLine($"{kind} sparse {c}, seed {seed}, density {density:F2}: relative L2 {rel:E2}, max abs {maxAbs:E2}");
    }

    /// <summary>Backends that run the tensor-core variants.</summary>
    public static TheoryData<AcceleratorKind> Kinds => new() { AcceleratorKind.Cpu, AcceleratorKind.Cuda };

    [Theory]
    [MemberData(nameof(Kinds))]
    public void MatchesTheReferenceOnRandomShapes(AcceleratorKind kind)
    {
        Accelerator? accelerator = TestAccelerators.Shared(kind, output);
        if (accelerator is null) return;
        int seed = TestAccelerators.NewSeed();
        var random = new Random(seed);
        double worst = 0;
        for (int i = 0; i < 24; i++)
        {
            TensorCoreFlashCase c = TensorCoreFlashCase.Draw(random);
            int caseSeed = random.Next();
            (double rel, double maxAbs, double _) = c.Type == ElementType.Float16
                ? Check<Half>(accelerator, c, caseSeed)
                : Check<BFloat16>(accelerator, c, caseSeed);
            worst = Math.Max(worst, rel);
        }
        output.WriteLine($"{kind} sparse, 24 random cases from seed {seed}: worst relative L2 {worst:E2}");
    }

    /// <summary>
    /// Runs one case; asserts the error bound on visual rows and that text rows stay untouched (NaN). With
    /// <paramref name="hopper"/> the Hopper kernel runs it (<see cref="HopperFlashSteps"/>, same contract; of the tensor-core kernels' tuning knobs it takes the stages, as a ring of <c>Stages + 1</c>, and the tile: the default
    /// tile leaves the consumers' ping-pong off, 64 turns it on).
    /// </summary>
    internal static (double Rel, double MaxAbs, double Density) Check<T>(Accelerator accelerator, TensorCoreFlashCase c, int seed, bool hopper = false)
        where T : unmanaged
    {
        var random = new Random(seed);
        long elements = (long)c.B * c.H * c.S * c.D;
        int blockRows = c.B * c.H * c.Layout.QueryBlocks;
        double[] q = FlashHarness.Values(random, elements, 1.0, c.Type);
        double[] k = FlashHarness.Values(random, elements, 1.0, c.Type);
        double[] v = FlashHarness.Values(random, elements, 1.0, c.Type);
        (HostTensor<bool> mask, int[] counts, int[] lists) = c.DrawMask(random);
        var rectification = new HostTensor<double>(c.B, c.H, c.Layout.QueryBlocks);
        var compensation = new HostTensor<double>(c.B, c.H, c.Layout.QueryBlocks, c.D);
        foreach (ref double r in rectification.Span) r = (float)(0.2 + random.NextDouble());
        foreach (ref double x in compensation.Span) x = (float)(random.NextDouble() - 0.5);

        HostTensor<double> os = ReferenceSteps.SparseAttention(new HostTensor<double>(q, c.B, c.H, c.S, c.D),
            new HostTensor<double>(k, c.B, c.H, c.S, c.D), new HostTensor<double>(v, c.B, c.H, c.S, c.D), mask, c.Layout);
        double[] expected = c.Rectify
            ? ReferenceSteps.ApplyRectification(os, new RectificationTerms(rectification, compensation), c.Layout).Data
            : os.Data;

        using DeviceBuffer<T> bq = FlashHarness.Upload<T>(accelerator, q), bk = FlashHarness.Upload<T>(accelerator, k);
        using DeviceBuffer<T> bv = FlashHarness.Upload<T>(accelerator, v), bo = FlashHarness.Poisoned<T>(accelerator, elements);
        using DeviceBuffer<int> bCounts = Ints(accelerator, counts), bLists = Ints(accelerator, lists);
        // Without rectification the terms must not be read: NaN buffers would show a stray read.
        using DeviceBuffer<float> bR = c.Rectify ? Floats(accelerator, rectification.Data) : FlashHarness.Poisoned<float>(accelerator, blockRows);
        using DeviceBuffer<float> bC = c.Rectify
            ? Floats(accelerator, compensation.Data)
            : FlashHarness.Poisoned<float>(accelerator, (long)blockRows * c.D);
        if (hopper)
            HopperFlashSteps.SparseAttention(accelerator, c.Shape, bq.View, bk.View, bv.View, bCounts.View, bLists.View, bR.View, bC.View, c.Rectify, bo.View,
                c.HopperTuning);
        else
            TensorCoreFlashSteps.SparseAttention(accelerator, c.Shape, bq.View, bk.View, bv.View, bCounts.View, bLists.View,
                bR.View, bC.View, c.Rectify, bo.View, c.TileRows, c.WarpRows, c.Stages);
        accelerator.Synchronize();
        double[] actual = FlashHarness.Download(bo);

        int visual = c.S - c.Text;
        double density = ReferenceSteps.Density(mask);
        (double rel, double maxAbs) = FlashHarness.Error(actual, expected, c.D, row => row % c.S < visual);
        Assert.True(rel <= TensorCoreFlashCase.Tolerance,
            $"{c}, seed {seed}, density {density:F2}: relative L2 {rel:E2} (max abs {maxAbs:E2}) exceeds {TensorCoreFlashCase.Tolerance:E0}.");
        long written = FlashHarness.FirstWritten(actual, c.D, row => row % c.S >= visual);
        Assert.True(written < 0, $"{c}, seed {seed}: element {written} is in a text row but was written.");
        return (rel, maxAbs, density);
    }

    private static DeviceBuffer<int> Ints(Accelerator accelerator, int[] values)
    {
        DeviceBuffer<int> buffer = accelerator.Allocate<int>(Math.Max(values.Length, 1));
        buffer.CopyFrom(values.Length > 0 ? values : [0]);
        return buffer;
    }

    private static DeviceBuffer<float> Floats(Accelerator accelerator, double[] values)
    {
        DeviceBuffer<float> buffer = accelerator.Allocate<float>(Math.Max(values.Length, 1));
        buffer.CopyFrom(values.Length > 0 ? values.Select(x => (float)x).ToArray() : [0f]);
        return buffer;
    }
}
