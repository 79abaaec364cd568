using RectifiedSpaAttn.Compute;
using RectifiedSpaAttn.Compute.Cpu;
using RectifiedSpaAttn.Compute.Emulation;
using RectifiedSpaAttn.Generators.Ir;
using RectifiedSpaAttn.Generators.Tests.Cpu;

namespace RectifiedSpaAttn.Generators.Tests.NamedBarriers;

/// <summary>
/// The CPU emulation's named barriers under misuse: a phase that never completes is a reported deadlock, not a hang;
/// a bad id or count, or arrivals of one phase that disagree on the count, throw with the reason; an arrival nobody
/// waits for at the end is not an error. (The ping-pong itself is checked on the corpus kernel in the library tests.)
/// </summary>
public sealed class NamedBarrierEmulationTests
{
    private const int GroupSize = 64;

    /// <summary>A kernel of <see cref="GroupSize"/> threads whose warp 0 runs <paramref name="warp0"/> and warp 1 <paramref name="warp1"/>, then every thread stores 1.</summary>
    private static KernelVariant Kernel(string name, Action<IrBuilder, IrParam> warp0, Action<IrBuilder, IrParam>? warp1)
    {
        var b = new IrBuilder();
        IrParam o = b.Buffer("o", IrType.I32);
        IrParam id = b.Scalar("id", IrType.I32);
        b.If(X.Eq(X.S(IrSpecialKind.WarpIdx), X.I32(0)), () => warp0(b, id), warp1 is null ? null : () => warp1(b, id));
        b.Store(X.View(o), X.GlobalX, X.I32(1));
        return CpuKernelCompiler.Compile(b.Build(name));
    }

    private static IrNamedBarrier Sync(IrExpr id, int threads) => new(IrNamedBarrierKind.Sync, id, X.I32(threads));

    private static IrNamedBarrier Arrive(IrExpr id, int threads) => new(IrNamedBarrierKind.Arrive, id, X.I32(threads));

    /// <summary>Launches two groups with barrier id <paramref name="id"/>; returns what the launch threw, or the output.</summary>
    private static (Exception? Error, int[] Output) Launch(KernelVariant kernel, int id) =>
        (CpuTestLaunch.Run(kernel, 2, GroupSize, out int[] output, KernelArgument.From(id)), output);

    [Fact]
    public void ASyncWhosePhaseNeverCompletesIsReportedAsADeadlock()
    {
        // Warp 0 waits for 64 threads; warp 1 never arrives.
        KernelVariant kernel = Kernel("lonely_sync", (b, id) => b.Add(Sync(X.Arg(id), 64)), null);
        (Exception? error, _) = Launch(kernel, 1);
        var e = Assert.IsType<CpuDivergenceException>(error);
        Assert.Contains("lonely_sync", e.Message);
        Assert.Contains("named barrier", e.Message);
        Assert.Contains("threads 0-31 wait at NamedBarrier.Sync phase #1; threads 32-63 returned", e.Message);
    }

    [Fact]
    public void AnArrivalByHalfAWarpIsReportedAsDivergent()
    {
        var b = new IrBuilder();
        IrParam o = b.Buffer("o", IrType.I32);
        IrParam id = b.Scalar("id", IrType.I32);
        b.If(X.Lt(X.Lane, X.I32(16)), () => b.Add(Arrive(X.Arg(id), 64)));
        b.Store(X.View(o), X.GlobalX, X.I32(1));
        (Exception? error, _) = Launch(CpuKernelCompiler.Compile(b.Build("half_warp_arrive")), 1);
        var e = Assert.IsType<CpuDivergenceException>(error);
        Assert.Contains("threads 0-15 wait at NamedBarrier.Arrive #0; threads 16-31 returned", e.Message);
    }

    [Fact]
    public void ArrivalsOfOnePhaseThatDisagreeOnTheCountThrow()
    {
        KernelVariant kernel = Kernel("two_counts", (b, id) => b.Add(Sync(X.Arg(id), 64)), (b, id) => b.Add(Arrive(X.Arg(id), 32)));
        (Exception? error, _) = Launch(kernel, 3);
        var e = Assert.IsType<InvalidOperationException>(error);
        Assert.Contains("named barrier 3", e.Message);
        Assert.Contains("counts to 32 threads in a phase that others count to 64", e.Message);
    }

    [Theory]
    [InlineData(0, "0 is Group.Barrier's")]
    [InlineData(16, "the ids are 1 to 15")]
    public void ARunTimeIdOutsideOneToFifteenThrows(int id, string reason)
    {
        KernelVariant kernel = Kernel("bad_id", (b, idParam) => b.Add(Arrive(X.Arg(idParam), 64)), (b, idParam) => b.Add(Sync(X.Arg(idParam), 64)));
        (Exception? error, _) = Launch(kernel, id);
        var e = Assert.IsType<InvalidOperationException>(error);
        Assert.Contains(reason, e.Message);
    }

    [Fact]
    public void ACountLargerThanTheGroupThrows()
    {
        KernelVariant kernel = Kernel("big_count", (b, id) => b.Add(Sync(X.Arg(id), 128)), (b, id) => b.Add(Sync(X.Arg(id), 128)));
        (Exception? error, _) = Launch(kernel, 1);
        var e = Assert.IsType<InvalidOperationException>(error);
        Assert.Contains("no larger than the group (64 threads)", e.Message);
    }

    [Fact]
    public void ArriveDoesNotWaitAndADanglingArrivalAtTheEndIsNoError()
    {
        // Warp 1 arrives at barrier 2 twice (the second phase is left half full); warp 0 syncs once with it.
        KernelVariant kernel = Kernel("dangling", (b, id) => b.Add(Sync(X.Arg(id), 64)), (b, id) => { b.Add(Arrive(X.Arg(id), 64)); b.Add(Arrive(X.Arg(id), 64)); });
        (Exception? error, int[] output) = Launch(kernel, 2);
        Assert.Null(error);
        Assert.All(output, v => Assert.Equal(1, v));
    }
}
