using RectifiedSpaAttn.Compute;
using RectifiedSpaAttn.Compute.Cuda;
using RectifiedSpaAttn.Compute.Emulation;
using RectifiedSpaAttn.Kernels.Corpus;
using RectifiedSpaAttn.Numerics;
using RectifiedSpaAttn.Tests.Accelerators;
using static RectifiedSpaAttn.Tests.Compiler.CorpusSupport;

namespace RectifiedSpaAttn.Tests.Compiler;

/// <summary>
/// The Hopper kernels (wgmma, mbarrier, bulk tensor copies, stmatrix, elect) against fp64 host results: on the CPU
/// accelerator's emulation here, and on CUDA where the device has compute capability 9.0. OpenCL and other GPUs must
/// refuse them with the "needs sm_90a" reason.
/// </summary>
public sealed class CorpusHopperTests(ITestOutputHelper output)
{
    public static TheoryData<AcceleratorKind, string, int> MatmulCases() => PerKind(["half", "bfloat16"], [128, 256]);

    [Theory]
    [MemberData(nameof(MatmulCases))]
    public void WgmmaMatmulMatchesTheFp64ProductOfTheRoundedInputs(AcceleratorKind kind, string type, int tileN)
    {
        if (type == "half") WgmmaMatmul<Half>(kind, tileN);
        else WgmmaMatmul<BFloat16>(kind, tileN);
    }

    private void WgmmaMatmul<T>(AcceleratorKind kind, int tileN) where T : unmanaged
    {
        if (HopperAccelerator(kind, WgmmaMatmulKernels.MatmulKernel.GetVariant(typeof(T), tileN, 4)) is not { } acc) return;
        var rng = NewRandom(output, out int seed);
        // 1-2 tile rows and columns; 1-9 k tiles, so the 4-stage ring is used partly, exactly or wraps twice.
        int m = rng.Next(1, 3) * WgmmaMatmulKernels.TileM, n = rng.Next(1, 3) * tileN, k = rng.Next(1, 10) * WgmmaMatmulKernels.TileK;
        T[] a = Round<T>(Uniform(rng, m * k)), bT = Round<T>(Uniform(rng, n * k));
        using var da = Upload(acc, a);
        using var db = Upload(acc, bT);
        using DeviceBuffer<float> dc = Poisoned<float>(acc, m * n);
        WgmmaMatmulKernels.Launch(acc, da.View, db.View, dc.View, m, n, k, tileN);

        double[] ad = ToDoubles(a), bd = ToDoubles(bT), expected = new double[m * n];
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
            {
                double s = 0;
                for (int p = 0; p < k; p++) s += ad[i * k + p] * bd[j * k + p];
                expected[i * n + j] = s;
            }
        // The inputs are exactly representable, so only the f32 accumulation differs from the fp64 product.
        AssertClose(expected, ToDoubles(dc.ToArray()), 1e-5, $"seed {seed}: {typeof(T).Name}, tile N {tileN}, {m}x{n}x{k}", output);
    }

    public static TheoryData<AcceleratorKind, string> IntrinsicCases() => PerKind("half", "bfloat16");

    [Theory]
    [MemberData(nameof(IntrinsicCases))]
    public void RegisterAWgmmaWithA3DTensorCopyAndStmatrixMatchesTheHost(AcceleratorKind kind, string type)
    {
        if (type == "half") RegisterAProduct<Half>(kind);
        else RegisterAProduct<BFloat16>(kind);
    }

    private void RegisterAProduct<T>(AcceleratorKind kind) where T : unmanaged
    {
        if (HopperAccelerator(kind, HopperIntrinsicKernels.RegisterAProductKernel.GetVariant(typeof(T))) is not { } acc) return;
        var rng = NewRandom(output, out int seed);
        int groups = rng.Next(1, 4), tile = 64 * 64;
        T[] a = Round<T>(Uniform(rng, groups * tile)), b = Round<T>(Uniform(rng, groups * tile));
        using var da = Upload(acc, a);
        using var db = Upload(acc, b);
        using DeviceBuffer<T> dout = Poisoned<T>(acc, groups * tile);
        using (TensorMap map = TensorMap.Create3D(acc, db.View, 64, 64, groups, 64, tile, 64, 64, 1))
        {
            HopperIntrinsicKernels.RegisterAProductKernel.Launch<T>(acc, new LaunchDimensions(new Dim3(groups), new Dim3(128), 2 * tile * 2 + 8),
                da.View, map, dout.View);
            acc.Synchronize();
        }
        double[] ad = ToDoubles(a), bd = ToDoubles(b), expected = new double[groups * tile];
        for (int g = 0; g < groups; g++)
            for (int i = 0; i < 64; i++)
                for (int j = 0; j < 64; j++)
                {
                    double s = 0;
                    for (int p = 0; p < 64; p++) s += ad[g * tile + i * 64 + p] * bd[g * tile + j * 64 + p];
                    expected[g * tile + i * 64 + j] = s;
                }
        // The product is rounded to 16 bits on the way out: within a few units of that format's roundoff.
        AssertClose(expected, ToDoubles(dout.ToArray()), 4 * UnitRoundoff<T>(), $"seed {seed}: {typeof(T).Name}, {groups} groups", output);
    }

    [Theory]
    [MemberData(nameof(IntrinsicCases))]
    public void TransposedBWgmmaComputesAV(AcceleratorKind kind, string type)
    {
        if (type == "half") TransposedBProduct<Half>(kind);
        else TransposedBProduct<BFloat16>(kind);
    }

    private void TransposedBProduct<T>(AcceleratorKind kind) where T : unmanaged
    {
        if (HopperAccelerator(kind, HopperIntrinsicKernels.TransposedBProductKernel.GetVariant(typeof(T))) is not { } acc) return;
        var rng = NewRandom(output, out int seed);
        int groups = rng.Next(1, 4);
        T[] a = Round<T>(Uniform(rng, groups * 64 * 64)), v = Round<T>(Uniform(rng, groups * 64 * 128));
        using var da = Upload(acc, a);
        using var dv = Upload(acc, v);
        using DeviceBuffer<float> dout = Poisoned<float>(acc, groups * 64 * 128);
        using (TensorMap mapA = TensorMap.Create2D(acc, da.View, 64, groups * 64, 64, 64, 64))
        using (TensorMap mapV = TensorMap.Create2D(acc, dv.View, 128, groups * 64, 128, 64, 64))
        {
            HopperIntrinsicKernels.TransposedBProductKernel.Launch<T>(acc, new LaunchDimensions(new Dim3(groups), new Dim3(128), 3 * 8192 + 8),
                mapA, mapV, dout.View);
            acc.Synchronize();
        }
        double[] ad = ToDoubles(a), vd = ToDoubles(v), expected = new double[groups * 64 * 128];
        for (int g = 0; g < groups; g++)
            for (int i = 0; i < 64; i++)
                for (int j = 0; j < 128; j++)
                {
                    double s = 0;
                    for (int p = 0; p < 64; p++) s += ad[(g * 64 + i) * 64 + p] * vd[(g * 64 + p) * 128 + j];
                    expected[(g * 64 + i) * 128 + j] = s;
                }
        AssertClose(expected, ToDoubles(dout.ToArray()), 1e-5, $"seed {seed}: {typeof(T).Name}, {groups} groups", output);
    }

    [Theory]
    [MemberData(nameof(Kinds), MemberType = typeof(CorpusSupport))]
    public void PlainStoresHandedOverByMbarrierPhasesReachEveryReader(AcceleratorKind kind)
    {
        // The plain-store hand-off the Hopper attention kernel's notes used before they went through atomics, alone (the
        // minimal case racecheck reports on the GPU): every reading warp must see each round's value, never another.
        if (HopperAccelerator(kind, MbarrierHandoffKernels.HandOffKernel.GetVariant()) is not { } acc) return;
        HandOffReachesEveryReader(acc, MbarrierHandoffKernels.HandOffKernel.Launch);
    }

    [Theory]
    [MemberData(nameof(Kinds), MemberType = typeof(CorpusSupport))]
    public void AtomicAccessesHandedOverByMbarrierPhasesReachEveryReader(AcceleratorKind kind)
    {
        // The same hand-off through shared-memory atomics, the attention kernel's notes' way (racecheck reports none of it).
        if (HopperAccelerator(kind, MbarrierHandoffKernels.HandOffAtomicKernel.GetVariant()) is not { } acc) return;
        HandOffReachesEveryReader(acc, MbarrierHandoffKernels.HandOffAtomicKernel.Launch);
    }

    private void HandOffReachesEveryReader(Accelerator acc, Action<Accelerator, LaunchDimensions, ArrayView<int>, int> launch)
    {
        var rng = NewRandom(output, out int seed);
        int groups = rng.Next(1, 5), rounds = rng.Next(2, 9), perRound = MbarrierHandoffKernels.ReaderWarps * 32;
        using DeviceBuffer<int> log = acc.Allocate<int>(groups * rounds * perRound);
        log.Fill(-1);
        launch(acc, new LaunchDimensions(new Dim3(groups), new Dim3(MbarrierHandoffKernels.GroupThreads),
            MbarrierHandoffKernels.SharedBytes), log.View, rounds);
        acc.Synchronize();
        int[] seen = log.ToArray();
        for (int g = 0; g < groups; g++)
            for (int r = 0; r < rounds; r++)
                for (int i = 0; i < perRound; i++)
                {
                    int at = (g * rounds + r) * perRound + i;
                    Assert.True(seen[at] == 1000 * g + r + 1,
                        $"seed {seed}: {groups} groups, {rounds} rounds: group {g}, round {r}, reader {i} saw {seen[at]}, expected {1000 * g + r + 1}");
                }
    }

    [Fact]
    public void HopperVariantsStateTheirRequirementAndOpenCLRefusesThem()
    {
        KernelVariant v = WgmmaMatmulKernels.MatmulKernel.GetVariant(typeof(BFloat16), 128, 4);
        Assert.Equal("sm_90a", v.PtxTarget);
        Assert.StartsWith(".version 8.0", v.Ptx.Split("\n").First(l => l.StartsWith(".version")));
        Assert.Equal("needs sm_90a (Hopper): uses cp.async.bulk.tensor, elect.sync, fence.proxy.async, mbarrier, setmaxnreg, wgmma fences, wgmma.mma_async", v.ArchitectureRequirement);
        Assert.Equal(v.ArchitectureRequirement, v.OpenCLUnsupportedReason);
        Assert.True(v.PtxRunsOn(new Version(9, 0)));
        Assert.False(v.PtxRunsOn(new Version(8, 9)));
        Assert.False(v.PtxRunsOn(new Version(10, 0)));
        KernelVariant portable = TensorCoreMatmulKernels.MatmulKernel.GetVariant(typeof(BFloat16), 3, 256, 64, 2);
        Assert.Equal("sm_80", portable.PtxTarget);
        Assert.Null(portable.ArchitectureRequirement);
        Assert.True(portable.PtxRunsOn(new Version(9, 0)));
    }

    [Fact]
    public void AWaitOnAPhaseThatNeverCompletesIsReportedOnTheCpu()
    {
        // A copy that completes fewer bytes than the barrier was told to expect leaves its phase open: every thread
        // then waits on it, which the GPU would do forever and the CPU emulation reports.
        Accelerator acc = TestAccelerators.Shared(AcceleratorKind.Cpu, output)!;
        int tile = 64 * 64;
        using DeviceBuffer<Half> a = acc.Allocate<Half>(tile), b = acc.Allocate<Half>(tile), o = acc.Allocate<Half>(tile);
        a.Fill(Half.One); b.Fill(Half.One);
        // Box 64 x 32: the copy completes 4096 of the 8192 bytes the barrier waits for, so its phase never completes.
        using TensorMap halfBox = TensorMap.Create3D(acc, b.View, 64, 64, 1, 64, tile, 64, 32, 1);
        var e = Assert.ThrowsAny<Exception>(() =>
            HopperIntrinsicKernels.RegisterAProductKernel.Launch<Half>(acc, new LaunchDimensions(new Dim3(1), new Dim3(128), 2 * tile * 2 + 8), a.View, halfBox, o.View));
        Exception inner = e is AggregateException ag ? ag.Flatten().InnerExceptions[0] : e.InnerException ?? e;
        CpuDivergenceException divergence = Assert.IsType<CpuDivergenceException>(e is CpuDivergenceException ? e : inner);
        output.WriteLine(divergence.Message);
        Assert.Contains("Mbarrier.Wait", divergence.Message);
    }

    /// <summary>The shared accelerator for a Hopper variant, or null (with the reason written) where it cannot run it.</summary>
    private Accelerator? HopperAccelerator(AcceleratorKind kind, KernelVariant variant)
    {
        if (kind == AcceleratorKind.OpenCL)
        {
            Assert.StartsWith("needs sm_90a (Hopper)", variant.OpenCLUnsupportedReason);
            output.WriteLine($"{variant.DisplayName} does not run on OpenCL: {variant.OpenCLUnsupportedReason}");
            return null;
        }
        Accelerator? acc = TestAccelerators.Shared(kind, output);
        if (acc is CudaAccelerator cuda && cuda.UnsupportedReason(variant) is { } reason)
        {
            output.WriteLine(reason);
            Assert.StartsWith(variant.DisplayName + " needs sm_90a (Hopper)", reason);
            return null;
        }
        return acc;
    }
}
