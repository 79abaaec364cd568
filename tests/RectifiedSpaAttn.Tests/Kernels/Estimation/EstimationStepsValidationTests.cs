using RectifiedSpaAttn.Compute;
using RectifiedSpaAttn.Kernels.Attention;
using RectifiedSpaAttn.Kernels.Attention.Estimation;
using RectifiedSpaAttn.Tests.Accelerators;

namespace RectifiedSpaAttn.Tests.Kernels.Estimation;

/// <summary>What <see cref="EstimationSteps"/> refuses before launching, and what it does with empty shapes (CPU accelerator).</summary>
public sealed class EstimationStepsValidationTests(ITestOutputHelper output)
{
    private readonly Accelerator _cpu = TestAccelerators.Shared(AcceleratorKind.Cpu, output)!;

    [Fact]
    public void ShortViewsAreRefusedWithTheirNameAndLayout()
    {
        var shape = new AttentionShape(1, 2, 100, 16, 10, 4, 32, 32); // nQ = nK = 3
        using var tokens = _cpu.Allocate<float>(shape.TokenElements);
        using var shortMeans = _cpu.Allocate<float>(2 * 3 * 16 - 1);
        var error = Assert.Throws<ArgumentException>(() =>
            EstimationSteps.PoolBlocks(_cpu, shape, tokens.View, 32, shortMeans.View, shortMeans.View, false));
        Assert.Equal("means", error.ParamName);
        Assert.Contains("[B, H, nBlocks, D]", error.Message);

        using var stats = _cpu.Allocate<float>(2 * 3 * 16);
        using var masses = _cpu.Allocate<float>(2 * 3 * 3);
        using var shortText = _cpu.Allocate<float>(5);
        error = Assert.Throws<ArgumentException>(() =>
            EstimationSteps.PooledMasses(_cpu, shape, stats.View, stats.View, tokens.View, masses.View, shortText.View));
        Assert.Equal("textMass", error.ParamName);

        using var mask = _cpu.Allocate<byte>(2 * 3 * 3);
        using var oneByte = _cpu.Allocate<byte>(1);
        // A neighbour mask is only required to be [nQ, nK] when the flag says there is one.
        error = Assert.Throws<ArgumentException>(() =>
            EstimationSteps.SelectCriticalBlocks(_cpu, shape, masses.View, masses.View, 0.3f, 1, 0, oneByte.View, true, mask.View));
        Assert.Equal("neighborMask", error.ParamName);
        Assert.Throws<ArgumentOutOfRangeException>(() =>
            EstimationSteps.SelectCriticalBlocks(_cpu, shape, masses.View, masses.View, -0.1f, 1, 0, oneByte.View, false, mask.View));
    }

    [Fact]
    public void RowsTooWideForSharedMemoryAreRefused()
    {
        // 7000 key blocks of one token: the selection row needs 2 * 7001 floats, more than MaxDynamicSharedBytes.
        var shape = new AttentionShape(1, 1, 7000, 1, 0, 0, 7000, 1);
        using var masses = _cpu.Allocate<float>(7000);
        using var mask = _cpu.Allocate<byte>(7000);
        var error = Assert.Throws<ArgumentException>(() =>
            EstimationSteps.SelectCriticalBlocks(_cpu, shape, masses.View, masses.View, 0.3f, 0, 0, mask.View, false, mask.View));
        Assert.Contains("shared memory", error.Message);
    }

    [Fact]
    public void ShapesWithoutVisualTokensLaunchNothing()
    {
        // Text only: no blocks, so nothing to compute and nothing to write; the poisoned outputs stay as they were.
        var shape = new AttentionShape(1, 1, 8, 4, 8, 8, 16, 16);
        using var tokens = _cpu.Allocate<float>(shape.TokenElements);
        using var untouched = _cpu.Allocate<float>(1);
        untouched.Fill(float.NaN);
        EstimationSteps.PoolBlocks(_cpu, shape, tokens.View, 16, untouched.View, untouched.View, true);
        EstimationSteps.PooledMasses(_cpu, shape, untouched.View, untouched.View, tokens.View, untouched.View, untouched.View);
        Assert.True(float.IsNaN(untouched.ToArray()[0]), "an output of an empty shape was written");
    }
}
