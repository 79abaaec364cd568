using RectifiedSpaAttn.Compute;
using RectifiedSpaAttn.Kernels.Attention;
using RectifiedSpaAttn.Kernels.Attention.Estimation;
using RectifiedSpaAttn.Kernels.CpuNative;
using RectifiedSpaAttn.Tests.Accelerators;
using RectifiedSpaAttn.Tests.Kernels.Estimation;

namespace RectifiedSpaAttn.Tests.Kernels.CpuNative;

/// <summary>
/// <see cref="CpuEstimation"/> refuses what <see cref="EstimationSteps"/> refuses, with the same exception type and
/// parameter name, and writes nothing for shapes without visual tokens; unlike the kernels it takes rows of any width.
/// </summary>
public sealed class CpuEstimationValidationTests(ITestOutputHelper output)
{
    private readonly Accelerator _cpu = TestAccelerators.Shared(AcceleratorKind.Cpu, output)!;

    [Fact]
    public void BadArgumentsAreRefusedLikeTheKernelSteps()
    {
        var shape = new AttentionShape(1, 2, 100, 16, 10, 4, 32, 32); // nQ = nK = 3
        var badShape = shape with { ValidTextTokens = 11 };
        using var tokens = _cpu.Allocate<float>(shape.TokenElements);
        using var stats = _cpu.Allocate<float>(2 * 3 * 16);
        using var shortStats = _cpu.Allocate<float>(2 * 3 * 16 - 1);
        using var masses = _cpu.Allocate<float>(2 * 3 * 3);
        using var shortText = _cpu.Allocate<float>(5);
        using var mask = _cpu.Allocate<byte>(2 * 3 * 3);
        using var oneByte = _cpu.Allocate<byte>(1);
        using var counts = _cpu.Allocate<int>(6);
        using var shortLists = _cpu.Allocate<int>(17);
        var (t, s, ss, m, st, mk, ob, c, sl) = (tokens.View, stats.View, shortStats.View, masses.View, shortText.View, mask.View, oneByte.View, counts.View, shortLists.View);

        (string Case, Action Kernel, Action Host)[] cases =
        [
            ("short means", () => EstimationSteps.PoolBlocks(_cpu, shape, t, 32, ss, ss, false), () => CpuEstimation.PoolBlocks(shape, t, 32, ss, ss, false)),
            ("short deviations", () => EstimationSteps.PoolBlocks(_cpu, shape, t, 32, s, ss, true), () => CpuEstimation.PoolBlocks(shape, t, 32, s, ss, true)),
            ("block size 0", () => EstimationSteps.PoolBlocks(_cpu, shape, t, 0, s, s, true), () => CpuEstimation.PoolBlocks(shape, t, 0, s, s, true)),
            ("bad shape", () => EstimationSteps.PoolBlocks(_cpu, badShape, t, 32, s, s, true), () => CpuEstimation.PoolBlocks(badShape, t, 32, s, s, true)),
            ("short text mass", () => EstimationSteps.PooledMasses(_cpu, shape, s, s, t, m, st), () => CpuEstimation.PooledMasses(shape, s, s, t, m, st)),
            ("short keys", () => EstimationSteps.PooledMasses(_cpu, shape, s, ss, t, m, m), () => CpuEstimation.PooledMasses(shape, s, ss, t, m, m)),
            ("short neighbour mask", () => EstimationSteps.SelectCriticalBlocks(_cpu, shape, m, m, 0.3f, 1, 0, ob, true, mk),
                () => CpuEstimation.SelectCriticalBlocks(shape, m, m, 0.3f, 1, 0, ob, true, mk)),
            ("negative tau", () => EstimationSteps.SelectCriticalBlocks(_cpu, shape, m, m, -0.1f, 1, 0, ob, false, mk),
                () => CpuEstimation.SelectCriticalBlocks(shape, m, m, -0.1f, 1, 0, ob, false, mk)),
            ("NaN tau", () => EstimationSteps.SelectCriticalBlocks(_cpu, shape, m, m, float.NaN, 1, 0, ob, false, mk),
                () => CpuEstimation.SelectCriticalBlocks(shape, m, m, float.NaN, 1, 0, ob, false, mk)),
            ("negative k_min", () => EstimationSteps.SelectCriticalBlocks(_cpu, shape, m, m, 0.3f, -1, 0, ob, false, mk),
                () => CpuEstimation.SelectCriticalBlocks(shape, m, m, 0.3f, -1, 0, ob, false, mk)),
            ("negative first frame", () => EstimationSteps.SelectCriticalBlocks(_cpu, shape, m, m, 0.3f, 1, -2, ob, false, mk),
                () => CpuEstimation.SelectCriticalBlocks(shape, m, m, 0.3f, 1, -2, ob, false, mk)),
            ("short lists", () => EstimationSteps.CompactCriticalBlocks(_cpu, shape, mk, c, sl), () => CpuEstimation.CompactCriticalBlocks(shape, mk, c, sl)),
            ("short compensation", () => EstimationSteps.RectificationTerms(_cpu, shape, s, s, s, s, s, m, m, mk, mk, m, ss),
                () => CpuEstimation.RectificationTerms(shape, s, s, s, s, s, m, m, mk, mk, m, ss)),
            ("short compensable", () => EstimationSteps.RectificationTerms(_cpu, shape, s, s, s, s, s, m, m, mk, ob, m, s),
                () => CpuEstimation.RectificationTerms(shape, s, s, s, s, s, m, m, mk, ob, m, s)),
        ];
        foreach (var (name, kernel, host) in cases)
        {
            Exception expected = Assert.ThrowsAny<ArgumentException>(kernel);
            Exception actual = Assert.ThrowsAny<ArgumentException>(host);
            output.WriteLine($"{name}: {actual.GetType().Name} ({((ArgumentException)actual).ParamName}): {actual.Message}");
            Assert.True(expected.GetType() == actual.GetType(), $"{name}: host threw {actual.GetType().Name}, the kernel step {expected.GetType().Name}");
            Assert.Equal(((ArgumentException)expected).ParamName, ((ArgumentException)actual).ParamName);
        }
    }

    /// <summary>The host has no shared-memory limit: a row the selection kernel refuses (7000 entries) follows the rule.</summary>
    [Fact]
    public void RowsTooWideForTheKernelsAreSelectedByTheRule()
    {
        var shape = new AttentionShape(1, 1, 7000, 1, 0, 0, 7000, 1);
        var rng = EstimationSupport.NewRandom(output, out _);
        float[] raw = EstimationSupport.NonZero(rng, 7000, 0.001f, 1f);
        float total = raw.Sum();
        float[] masses = [.. raw.Select(m => m / total)];
        using var p = EstimationSupport.Upload(_cpu, masses);
        using var mask = EstimationSupport.PoisonedBytes(_cpu, 7000);
        Assert.Throws<ArgumentException>(() => EstimationSteps.SelectCriticalBlocks(_cpu, shape, p.View, p.View, 0.3f, 0, 0, mask.View, false, mask.SubView(0, 7000)));
        CpuEstimation.SelectCriticalBlocks(shape, p.View, p.View, 0.3f, 0, 0, mask.View, false, mask.SubView(0, 7000));
        bool[] got = [.. EstimationSupport.ReadMask(mask, 7000, "wide row").Select(b => b != 0)];
        string? why = MaskComparison.SelectionRowMismatch(got, [.. masses.Select(m => (double)m)], null, 0.3, 0, new bool[7000]);
        Assert.True(why is null, why);
        output.WriteLine($"{got.Count(x => x)} of 7000 blocks kept");
    }

    [Fact]
    public void ShapesWithoutVisualTokensWriteNothing()
    {
        var shape = new AttentionShape(1, 1, 8, 4, 8, 8, 16, 16);
        using var tokens = _cpu.Allocate<float>(shape.TokenElements);
        using var untouched = _cpu.Allocate<float>(1);
        using var untouchedBytes = _cpu.Allocate<byte>(1);
        using var untouchedInts = _cpu.Allocate<int>(1);
        untouched.Fill(float.NaN);
        untouchedBytes.Fill(0xCD);
        untouchedInts.Fill(7);
        ArrayView<float> f = untouched.View;
        CpuEstimation.PoolBlocks(shape, tokens.View, 16, f, f, true);
        CpuEstimation.PooledMasses(shape, f, f, tokens.View, f, f);
        CpuEstimation.SelectCriticalBlocks(shape, f, f, 0.3f, 1, 1, untouchedBytes.View, false, untouchedBytes.View);
        CpuEstimation.CompactCriticalBlocks(shape, untouchedBytes.View, untouchedInts.View, untouchedInts.View);
        CpuEstimation.RectificationTerms(shape, f, f, f, f, f, f, f, untouchedBytes.View, untouchedBytes.View, f, f);
        Assert.True(float.IsNaN(untouched.ToArray()[0]), "a float output of an empty shape was written");
        Assert.Equal(0xCD, untouchedBytes.ToArray()[0]);
        Assert.Equal(7, untouchedInts.ToArray()[0]);
    }
}
