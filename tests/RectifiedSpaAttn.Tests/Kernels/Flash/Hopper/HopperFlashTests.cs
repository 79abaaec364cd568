using RectifiedSpaAttn.Compute;
using RectifiedSpaAttn.Kernels.Attention.Flash.Hopper;
using RectifiedSpaAttn.Numerics;
using RectifiedSpaAttn.Tensors;
using RectifiedSpaAttn.Tests.Accelerators;
using RectifiedSpaAttn.Tests.Kernels.Flash.TensorCore;

namespace RectifiedSpaAttn.Tests.Kernels.Flash.Hopper;

/// <summary>
/// <see cref="HopperFlashSteps"/> against the fp64 reference, through the tensor-core tests' checks (same contract,
/// same cases: both head dims and element types, blocks of 64 and 128, ragged S, text keys that end mid-stage, dense
/// query ranges mid-sequence, random/empty/full masks, rectification on and off), with poisoned outputs. On the CPU
/// accelerator the emulation of wgmma, mbarrier and the copy engine is exact; on CUDA the cases run where the device
/// loads the sm_90a module (compute capability 9.0) and are skipped with the reason elsewhere.
/// </summary>
public sealed class HopperFlashTests(ITestOutputHelper output)
{
    public static TheoryData<AcceleratorKind, int> DenseCases() => PerKind(TensorCoreFlashCase.Dense.Length);

    public static TheoryData<AcceleratorKind, int> SparseCases() => PerKind(TensorCoreFlashCase.Sparse.Length);

    [Theory]
    [MemberData(nameof(DenseCases))]
    public void DenseMatchesTheReference(AcceleratorKind kind, int index)
    {
        if (HopperAccelerator(kind) is not { } accelerator) return;
        TensorCoreFlashCase c = TensorCoreFlashCase.Dense[index];
        int seed = TestAccelerators.NewSeed();
        (double rel, double maxAbs) = c.Type == ElementType.Float16
            ? TensorCoreFlashDenseTests.Check<Half>(accelerator, c, seed, hopper: true)
            : TensorCoreFlashDenseTests.Check<BFloat16>(accelerator, c, seed, hopper: true);
        output.WriteLine($"{kind} Hopper dense {c}, seed {seed}: relative L2 {rel:E2}, max abs {maxAbs:E2}");
    }

    [Theory]
    [MemberData(nameof(SparseCases))]
    public void SparseMatchesTheReference(AcceleratorKind kind, int index)
    {
        if (HopperAccelerator(kind) is not { } accelerator) return;
        TensorCoreFlashCase c = TensorCoreFlashCase.Sparse[index];
        int seed = TestAccelerators.NewSeed();
        (double rel, double maxAbs, double density) = c.Type == ElementType.Float16
            ? TensorCoreFlashSparseTests.Check<Half>(accelerator, c, seed, hopper: true)
            : TensorCoreFlashSparseTests.Check<BFloat16>(accelerator, c, seed, hopper: true);
        output.WriteLine($"{kind} Hopper sparse {c}, seed {seed}, density {density:F2}: relative L2 {rel:E2}, max abs {maxAbs:E2}");
    }

    /// <summary>
    /// The consumers' ping-pong (a 64-row tile turns it on; two consumers need query blocks of 128) in sparse attention
    /// at D = 64, which the shared sparse cases lack (their D = 64 tile-64 case has blocks of 64: one consumer). Dense at
    /// D = 64 and 128 and sparse at D = 128 with ping-pong are among the shared cases.
    /// </summary>
    [Theory]
    [InlineData(AcceleratorKind.Cpu, 0)]
    [InlineData(AcceleratorKind.Cpu, 1)]
    [InlineData(AcceleratorKind.Cpu, 2)]
    [InlineData(AcceleratorKind.Cuda, 0)]
    [InlineData(AcceleratorKind.Cuda, 1)]
    [InlineData(AcceleratorKind.Cuda, 2)]
    public void SparsePingPongAtHeadDim64MatchesTheReference(AcceleratorKind kind, int index)
    {
        if (HopperAccelerator(kind) is not { } accelerator) return;
        TensorCoreFlashCase c = SparsePingPong[index];
        int seed = TestAccelerators.NewSeed();
        (double rel, double maxAbs, double density) = c.Type == ElementType.Float16
            ? TensorCoreFlashSparseTests.Check<Half>(accelerator, c, seed, hopper: true)
            : TensorCoreFlashSparseTests.Check<BFloat16>(accelerator, c, seed, hopper: true);
        output.WriteLine($"{kind} Hopper sparse ping-pong {c}, seed {seed}, density {density:F2}: relative L2 {rel:E2}, max abs {maxAbs:E2}");
    }

    /// <summary>
    /// Sparse, D = 64, query blocks of 128 (two consumers), tile 64 (ping-pong on): a 3-stage ring of 2 segments, a
    /// 2-stage and a 4-stage ring of 3 (see <see cref="TensorCoreFlashCase.HopperTuning"/>).
    /// </summary>
    private static readonly TensorCoreFlashCase[] SparsePingPong =
    [
        new(1, 2, 260, 64, 128, 64, 20, 9, ElementType.BFloat16, 0, 0, true, MaskKind.Random, 64, null, 2),
        new(1, 1, 300, 64, 128, 128, 30, 13, ElementType.Float16, 0, 0, false, MaskKind.Full, 64),
        new(1, 2, 900, 64, 128, 128, 40, 17, ElementType.BFloat16, 0, 0, true, MaskKind.Random, 64, null, 3),
    ];

    /// <summary>Random shapes, dense and sparse: 24 of each on CUDA, 12 on the CPU (whose emulation is slow).</summary>
    [Theory]
    [InlineData(AcceleratorKind.Cpu)]
    [InlineData(AcceleratorKind.Cuda)]
    public void MatchesTheReferenceOnRandomShapes(AcceleratorKind kind)
    {
        if (HopperAccelerator(kind) is not { } accelerator) return;
        int seed = TestAccelerators.NewSeed();
        var random = new Random(seed);
        int cases = kind == AcceleratorKind.Cuda ? 24 : 12;
        double worst = 0;
        for (int i = 0; i < cases; i++)
        {
            TensorCoreFlashCase c = TensorCoreFlashCase.Draw(random);
            int caseSeed = random.Next();
            double dense = c.Type == ElementType.Float16
                ? TensorCoreFlashDenseTests.Check<Half>(accelerator, c, caseSeed, hopper: true).Rel
                : TensorCoreFlashDenseTests.Check<BFloat16>(accelerator, c, caseSeed, hopper: true).Rel;
            double sparse = c.Type == ElementType.Float16
                ? TensorCoreFlashSparseTests.Check<Half>(accelerator, c, caseSeed, hopper: true).Rel
                : TensorCoreFlashSparseTests.Check<BFloat16>(accelerator, c, caseSeed, hopper: true).Rel;
            worst = Math.Max(worst, Math.Max(dense, sparse));
        }
        output.WriteLine($"{kind} Hopper dense and sparse, {cases} random cases from seed {seed}: worst relative L2 {worst:E2}");
    }

    /// <summary>
    /// setmaxnreg moves registers within the pool the group was launched with: if the producer's and consumers' budgets
    /// exceed it, a consumer's increase waits forever on the GPU. The CPU emulation reports that as a deadlock in the
    /// cases above; this states the arithmetic for every group size, launched or not.
    /// </summary>
    [Theory]
    [InlineData(2)]
    [InlineData(3)]
    public void RegisterBudgetsFitTheLaunchPool(int consumers)
    {
        int pool = (1 + consumers) * HopperFlashKernels.LaunchRegisters(HopperFlashKernels.GroupSize(consumers));
        int asked = HopperFlashKernels.ProducerRegisters(consumers) + consumers * HopperFlashKernels.ConsumerRegisters(consumers);
        Assert.True(asked <= pool, $"{consumers} consumers: producer + consumers ask {asked} registers a lane, the launch gave {pool}.");
        Assert.Equal(0, HopperFlashKernels.ProducerRegisters(consumers) % 8);
        Assert.Equal(0, HopperFlashKernels.ConsumerRegisters(consumers) % 8);
    }

    [Theory]
    [InlineData(1, null, 128)]
    [InlineData(4, null, 128)]
    [InlineData(5, null, 64)]
    [InlineData(3, 3, 128)]
    [InlineData(3, 0, 64)]
    [InlineData(3, 4, 64)]
    public void OutOfRangeKnobsAreRefused(int stages, int? denseConsumers, int headDim)
    {
        var tuning = HopperFlashTuning.Default with { Stages = stages, DenseConsumers = denseConsumers };
        Assert.Throws<ArgumentOutOfRangeException>(() => tuning.Validate(headDim));
    }

    [Theory]
    [InlineData(2, 1, 128)]
    [InlineData(3, 2, 128)]
    [InlineData(3, 3, 64)]
    [InlineData(4, 3, 64)]
    public void KnobsInRangeAreTaken(int stages, int denseConsumers, int headDim) =>
        (HopperFlashTuning.Default with { Stages = stages, DenseConsumers = denseConsumers }).Validate(headDim);

    [Theory]
    [InlineData(3, 1, 64)]
    [InlineData(3, 4, 64)]
    [InlineData(3, 3, 128)]
    public void OutOfRangeSegmentsAreRefused(int stages, int segments, int headDim)
    {
        var tuning = HopperFlashTuning.Default with { Stages = stages, Segments = segments };
        Assert.Throws<ArgumentOutOfRangeException>(() => tuning.Validate(headDim));
    }

    [Theory]
    [InlineData(64, 3)]
    [InlineData(128, 2)]
    public void DefaultSegmentsFollowTheHeadDim(int headDim, int segments)
    {
        Assert.Equal(segments, HopperFlashTuning.Default.SegmentsFor(headDim));
        HopperFlashTuning.Default.Validate(headDim);
        (HopperFlashTuning.Default with { Stages = 2, Segments = 3 }).Validate(128);
    }

    [Fact]
    public void OpenCLIsRefusedWithTheReason()
    {
        Accelerator accelerator = TestAccelerators.Shared(AcceleratorKind.OpenCL, output);
        Assert.False(HopperFlashSteps.RunsOn(accelerator));
        KernelVariant variant = HopperFlashKernels.AttentionKernel.GetVariant(typeof(BFloat16), 2, 128, 2);
        Assert.Equal("sm_90a", variant.PtxTarget);
        Assert.StartsWith("needs sm_90a (Hopper)", variant.OpenCLUnsupportedReason);
    }

    private static TheoryData<AcceleratorKind, int> PerKind(int cases)
    {
        var data = new TheoryData<AcceleratorKind, int>();
        foreach (AcceleratorKind kind in new[] { AcceleratorKind.Cpu, AcceleratorKind.Cuda })
            for (int i = 0; i < cases; i++) data.Add(kind, i);
        return data;
    }

    /// <summary>The shared accelerator of <paramref name="kind"/>, or null (with the reason written) where the Hopper kernel cannot run.</summary>
    private Accelerator? HopperAccelerator(AcceleratorKind kind)
    {
        Accelerator accelerator = TestAccelerators.Shared(kind, output);
        if (HopperFlashSteps.RunsOn(accelerator)) return accelerator;
        output.WriteLine($"{accelerator} does not load the Hopper kernels' sm_90a module: {accelerator.Name} is not compute capability 9.0.");
        return null;
    }
}
