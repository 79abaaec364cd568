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
/// <see cref="TensorCoreFlashSteps.DenseAttention{T}"/> against the fp64 reference (<see cref="ReferenceSteps.DenseAttention"/>)
/// on random inputs drawn fresh each run, on the CPU accelerator (exact mma/ldmatrix emulation) and on CUDA when present.
/// </summary>
public sealed class TensorCoreFlashDenseTests(ITestOutputHelper output)
{
    /// <summary>Every backend that runs the tensor-core variants (OpenCL refuses them: too many mma sites) times every case.</summary>
    public static TheoryData<AcceleratorKind, int> Cases()
    {
        var data = new TheoryData<AcceleratorKind, int>();
        foreach (AcceleratorKind kind in new[] { AcceleratorKind.Cpu, AcceleratorKind.Cuda })
            for (int i = 0; i < TensorCoreFlashCase.Dense.Length; i++) data.Add(kind, i);
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void MatchesTheReference(AcceleratorKind kind, int index)
    {
        Accelerator? accelerator = TestAccelerators.Shared(kind, output);
        if (accelerator is null) return;
        TensorCoreFlashCase c = TensorCoreFlashCase.Dense[index];
        int seed = TestAccelerators.NewSeed();
        (double rel, double maxAbs) = c.Type == ElementType.Float16
            ? Check<Half>(accelerator, c, seed)
            : Check<BFloat16>(accelerator, c, seed);
        output.WriteLine($"{kind} dense {c}, seed {seed}: relative L2 {rel:E2}, max abs {maxAbs:E2}");
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
            (double rel, double maxAbs) = c.Type == ElementType.Float16
                ? Check<Half>(accelerator, c, caseSeed)
                : Check<BFloat16>(accelerator, c, caseSeed);
            worst = Math.Max(worst, rel);
        }
        output.WriteLine($"{kind} dense, 24 random cases from seed {seed}: worst relative L2 {worst:E2}");
    }

    /// <summary>
    /// Runs one case; asserts the error bound and that rows outside the query range stay untouched (NaN). With
    /// <paramref name="hopper"/> the Hopper kernel runs it (<see cref="HopperFlashSteps"/>, same contract; of the tensor-core kernels' tuning knobs it takes <see cref="TensorCoreFlashCase.HopperTuning"/>).
    /// </summary>
    internal static (double Rel, double MaxAbs) Check<T>(Accelerator accelerator, TensorCoreFlashCase c, int seed, bool hopper = false) where T : unmanaged
    {
        var random = new Random(seed);
        long elements = (long)c.B * c.H * c.S * c.D;
        double[] q = FlashHarness.Values(random, elements, 1.0, c.Type);
        double[] k = FlashHarness.Values(random, elements, 1.0, c.Type);
        double[] v = FlashHarness.Values(random, elements, 1.0, c.Type);
        double[] expected = ReferenceSteps.DenseAttention(
            new HostTensor<double>(q, c.B, c.H, c.S, c.D), new HostTensor<double>(k, c.B, c.H, c.S, c.D),
            new HostTensor<double>(v, c.B, c.H, c.S, c.D), c.Layout).Data;

        using DeviceBuffer<T> bq = FlashHarness.Upload<T>(accelerator, q), bk = FlashHarness.Upload<T>(accelerator, k);
        using DeviceBuffer<T> bv = FlashHarness.Upload<T>(accelerator, v), bo = FlashHarness.Poisoned<T>(accelerator, elements);
        if (hopper) HopperFlashSteps.DenseAttention(accelerator, c.Shape, bq.View, bk.View, bv.View, bo.View, c.QueryStart, c.QueryCount, c.HopperTuning);
        else
            TensorCoreFlashSteps.DenseAttention(accelerator, c.Shape, bq.View, bk.View, bv.View, bo.View, c.QueryStart, c.QueryCount, c.TileRows,
                c.WarpRows, c.Stages);
        accelerator.Synchronize();
        double[] actual = FlashHarness.Download(bo);

        bool InRange(long row) => row % c.S >= c.QueryStart && row % c.S < c.QueryStart + c.QueryCount;
        (double rel, double maxAbs) = FlashHarness.Error(actual, expected, c.D, InRange);
        Assert.True(rel <= TensorCoreFlashCase.Tolerance,
            $"{c}, seed {seed}: relative L2 {rel:E2} (max abs {maxAbs:E2}) exceeds {TensorCoreFlashCase.Tolerance:E0}.");
        long written = FlashHarness.FirstWritten(actual, c.D, row => !InRange(row));
        Assert.True(written < 0, $"{c}, seed {seed}: element {written} lies outside the query range but was written.");
        return (rel, maxAbs);
    }
}
