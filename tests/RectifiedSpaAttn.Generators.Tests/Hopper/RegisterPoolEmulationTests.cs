using RectifiedSpaAttn.Compute;
using RectifiedSpaAttn.Compute.Emulation;
using RectifiedSpaAttn.Generators.Backends.Cpu;
using RectifiedSpaAttn.Generators.Ir;
using RectifiedSpaAttn.Generators.Tests.Cpu;

namespace RectifiedSpaAttn.Generators.Tests.Hopper;

/// <summary>
/// <c>setmaxnreg</c> on the CPU emulation: registers move within what the group was launched with (ptxas's count at
/// entry, from the launch bounds), so a split that asks for more than that is a reported deadlock, as it hangs on the
/// GPU, and one that fits runs. Groups of 384 threads get 168 registers a thread.
/// </summary>
public sealed class RegisterPoolEmulationTests
{
    private const int GroupSize = 384;

    /// <summary>Warpgroup 0 lowers its budget to <paramref name="producer"/>, the others raise theirs to <paramref name="consumer"/>; then every thread stores 1.</summary>
    private static KernelVariant Kernel(string name, int producer, int consumer, bool launchBounds = true)
    {
        var b = new IrBuilder();
        if (launchBounds) b.LaunchBounds(GroupSize, 1);
        IrParam o = b.Buffer("o", IrType.I32);
        b.If(X.Lt(X.S(IrSpecialKind.WarpIdx), X.I32(4)),
            () => b.Add(new IrHopper(IrHopperOp.DecreaseRegisters, [], [], [], producer)),
            () => b.Add(new IrHopper(IrHopperOp.IncreaseRegisters, [], [], [], consumer)));
        b.Store(X.View(o), X.GlobalX, X.I32(1));
        return CpuKernelCompiler.Compile(b.Build(name));
    }

    private static Exception? Launch(KernelVariant kernel, out int[] output) => CpuTestLaunch.Run(kernel, 1, GroupSize, out output);

    [Theory]
    [InlineData(24, 240)]
    [InlineData(40, 232)]
    public void ASplitThatFitsTheLaunchRuns(int producer, int consumer)
    {
        Assert.Null(Launch(Kernel("fits", producer, consumer), out int[] output));
        Assert.All(output, v => Assert.Equal(1, v));
    }

    [Fact]
    public void ASplitBeyondTheLaunchIsReportedAsADeadlock()
    {
        // 32 + 2 x 240 = 512 a lane, the launch gave 3 x 168 = 504: the consumers' increase can never be served.
        var e = Assert.IsType<CpuDivergenceException>(Launch(Kernel("too_many", 32, 240), out _));
        Assert.Contains("too_many", e.Message);
        Assert.Contains("setmaxnreg.inc 240", e.Message);
    }

    [Fact]
    public void WithoutLaunchBoundsTheRequestsAreIgnored() =>
        Assert.Null(Launch(Kernel("unbounded", 32, 240, launchBounds: false), out _));

    [Fact]
    public void ADecreaseAboveTheHeldCountThrows()
    {
        var e = Assert.IsType<InvalidOperationException>(Launch(Kernel("dec_up", 200, 168), out _));
        Assert.Contains("cannot raise", e.Message);
    }

    [Theory]
    [InlineData(384, 1, 168)]
    [InlineData(512, 1, 128)]
    [InlineData(256, 1, 255)]
    [InlineData(384, 2, 80)]
    public void TheEntryCountFollowsTheLaunchBounds(int maxGroup, int minGroups, int expected) =>
        Assert.Equal(expected, CpuStatementEmitter.EntryRegisters(new IrLaunchBounds(maxGroup, minGroups)));

    [Fact]
    public void NoEntryCountWithoutAMinimumOfGroups() =>
        Assert.Null(CpuStatementEmitter.EntryRegisters(new IrLaunchBounds(384, 0)));
}
