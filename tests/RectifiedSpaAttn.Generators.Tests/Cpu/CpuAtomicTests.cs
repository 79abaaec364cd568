using RectifiedSpaAttn.Compute;
using RectifiedSpaAttn.Compute.Cpu;
using RectifiedSpaAttn.Generators.Ir;

namespace RectifiedSpaAttn.Generators.Tests.Cpu;

/// <summary>Atomics from many groups running in parallel on the thread pool.</summary>
public sealed class CpuAtomicTests
{
    private const int Groups = 64, GroupSize = 128, Threads = Groups * GroupSize, Slots = 256;

    [Fact]
    public void GlobalAtomicsFromManyGroupsLoseNoUpdate()
    {
        var b = new IrBuilder();
        IrParam counters = b.Buffer("counters", IrType.I32), fsum = b.Buffer("fsum", IrType.F32), usum = b.Buffer("usum", IrType.U32);
        IrParam tickets = b.Buffer("tickets", IrType.I32), max = b.Buffer("max", IrType.I32);
        IrParam slots = b.Buffer("slots", IrType.I32), won = b.Buffer("won", IrType.I32);
        IrLocal g = b.Let("g", X.GlobalX);
        b.Add(new IrAtomic(IrAtomicOp.Add, null, X.View(counters), X.Rem(X.Ref(g), X.I32(8)), X.I32(1), null));
        b.Add(new IrAtomic(IrAtomicOp.Add, null, X.View(fsum), X.I32(0), X.Conv(IrType.F32, X.Rem(X.Ref(g), X.I32(7))), null));
        b.Add(new IrAtomic(IrAtomicOp.Add, null, X.View(usum), X.I32(0), X.U32(3), null));
        IrLocal ticket = b.Local("ticket", IrType.I32);
        b.Add(new IrAtomic(IrAtomicOp.Add, ticket, X.View(counters), X.I32(8), X.I32(1), null));
        b.Store(X.View(tickets), X.Ref(g), X.Ref(ticket));
        b.Add(new IrAtomic(IrAtomicOp.Max, null, X.View(max), X.I32(0), Hash(X.Ref(g)), null));
        IrLocal old = b.Local("old", IrType.I32);
        b.Add(new IrAtomic(IrAtomicOp.CompareExchange, old, X.View(slots), X.Rem(X.Ref(g), X.I32(Slots)), X.Add(X.Ref(g), X.I32(1)), X.I32(0)));
        b.Store(X.View(won), X.Ref(g), X.Cond(X.Eq(X.Ref(old), X.I32(0)), X.I32(1), X.I32(0)));
        KernelVariant kernel = CpuKernelCompiler.Compile(b.Build("atomics"));

        using var cpu = new CpuAccelerator();
        using DeviceBuffer<int> counterBuffer = cpu.Allocate<int>(9), ticketBuffer = cpu.Allocate<int>(Threads), maxBuffer = cpu.Allocate<int>(1);
        using DeviceBuffer<int> slotBuffer = cpu.Allocate<int>(Slots), wonBuffer = cpu.Allocate<int>(Threads);
        using DeviceBuffer<float> fsumBuffer = cpu.Allocate<float>(1);
        using DeviceBuffer<uint> usumBuffer = cpu.Allocate<uint>(1);
        counterBuffer.Fill(0);
        fsumBuffer.Fill(0);
        usumBuffer.Fill(0);
        maxBuffer.Fill(int.MinValue);
        slotBuffer.Fill(0);
        ticketBuffer.Fill(-1);
        wonBuffer.Fill(-1);
        cpu.Launch(kernel, new LaunchDimensions(Groups, GroupSize),
        [
            KernelArgument.Buffer(counterBuffer.View, ScalarType.Int32), KernelArgument.Buffer(fsumBuffer.View, ScalarType.Float32),
            KernelArgument.Buffer(usumBuffer.View, ScalarType.UInt32), KernelArgument.Buffer(ticketBuffer.View, ScalarType.Int32),
            KernelArgument.Buffer(maxBuffer.View, ScalarType.Int32), KernelArgument.Buffer(slotBuffer.View, ScalarType.Int32),
            KernelArgument.Buffer(wonBuffer.View, ScalarType.Int32),
        ]);

        Assert.Equal([.. Enumerable.Repeat(Threads / 8, 8), Threads], counterBuffer.ToArray());
        Assert.Equal(Enumerable.Range(0, Threads).Sum(t => t % 7), (int)fsumBuffer.ToArray()[0]);
        Assert.Equal(3u * Threads, usumBuffer.ToArray()[0]);
        Assert.Equal(Enumerable.Range(0, Threads).ToArray(), ticketBuffer.ToArray().Order().ToArray());
        Assert.Equal(Enumerable.Range(0, Threads).Max(HostHash), maxBuffer.ToArray()[0]);
        int[] slotValues = slotBuffer.ToArray(), winners = wonBuffer.ToArray();
        for (int s = 0; s < Slots; s++)
        {
            int[] winnersOfSlot = Enumerable.Range(0, Threads).Where(t => t % Slots == s && winners[t] == 1).ToArray();
            int winner = Assert.Single(winnersOfSlot);
            Assert.Equal(winner + 1, slotValues[s]);
        }
        Assert.All(winners, w => Assert.InRange(w, 0, 1));
    }

    [Fact]
    public void SharedMemoryAtomicsBetweenBarriers()
    {
        var b = new IrBuilder();
        IrParam o = b.Buffer("o", IrType.F32);
        IrSharedAllocation s = b.Shared(IrType.F32, 1);
        b.If(X.Eq(X.Tid, X.I32(0)), () => b.Store(X.View(s), X.I32(0), X.F32(0.5f)));
        b.Barrier();
        b.Add(new IrAtomic(IrAtomicOp.Add, null, X.View(s), X.I32(0), X.Conv(IrType.F32, X.Tid), null));
        b.Barrier();
        b.If(X.Eq(X.Tid, X.I32(0)), () => b.Store(X.View(o), X.S(IrSpecialKind.GridIdxX), X.Load(X.View(s), X.I32(0))));
        KernelVariant kernel = CpuKernelCompiler.Compile(b.Build("shared_atomics"));

        using var cpu = new CpuAccelerator();
        using DeviceBuffer<float> output = cpu.Allocate<float>(Groups);
        output.Fill(float.NaN);
        cpu.Launch(kernel, new LaunchDimensions(Groups, GroupSize), [KernelArgument.Buffer(output.View, ScalarType.Float32)]);
        Assert.All(output.ToArray(), v => Assert.Equal(0.5f + GroupSize * (GroupSize - 1) / 2, v));
    }

    /// <summary>A scrambled int of the thread index: (g * 2654435761) with its top bit flipped, so maxima are not simply the last thread.</summary>
    private static IrExpr Hash(IrExpr g) => X.Xor(X.Mul(g, X.I32(unchecked((int)2654435761u))), X.I32(int.MinValue));

    private static int HostHash(int g) => unchecked(g * (int)2654435761u) ^ int.MinValue;
}
