using System.Collections.Concurrent;
using FsCheck;
using FsCheck.Fluent;
using RectifiedSpaAttn.Compute;
using RectifiedSpaAttn.Compute.Cpu;

namespace RectifiedSpaAttn.Tests.Accelerators;

/// <summary>What is specific to the CPU accelerator: its description, aligned host buffers, groups in parallel, failures.</summary>
public sealed class CpuAcceleratorTests
{
    private static readonly KernelParameter[] OneBuffer = [new("x", KernelParameterKind.Buffer, ScalarType.Float32)];

    private static KernelVariant CpuOnly(string name, CpuGroupFunction cpu, int staticShared = 0)
        => new($"Tests.{name}", name, new Dictionary<string, string>(), OneBuffer, staticShared, "", "", cpu);

    [Fact]
    public void DescribesTheHost()
    {
        using var cpu = new CpuAccelerator();
        Assert.Equal(AcceleratorKind.Cpu, cpu.Kind);
        Assert.StartsWith("CPU", cpu.Name);
        Assert.Equal(32, cpu.WarpSize);
        Assert.Equal(1024, cpu.MaxGroupSize);
        Assert.Equal(227 * 1024, cpu.MaxSharedMemoryPerGroup);
        Assert.True(cpu.MemoryBytes > 0);
        Assert.Equal(Environment.ProcessorCount, cpu.MultiprocessorCount);
        Assert.Null(cpu.ComputeCapability);
        Assert.Null(cpu.Info.OpenCLVersion);
    }

    [Fact]
    public void BuffersAreCacheLineAligned()
    {
        using var cpu = new CpuAccelerator();
        var buffers = Enumerable.Range(1, 20).Select(n => cpu.Allocate<byte>(n * 7)).ToList();
        Assert.All(buffers, b => Assert.Equal(0, b.View.Handle % 64));
    }

    [Fact]
    public void EveryGroupRunsOnceWithItsOwnContextAndSharedMemory()
    {
        using var cpu = new CpuAccelerator();
        using DeviceBuffer<float> x = cpu.Allocate<float>(1);
        var grid = new Dim3(5, 3, 2);
        var group = new Dim3(8, 4, 1);
        const int sharedBytes = 256;
        var seen = new ConcurrentDictionary<Dim3, int>();
        var problems = new ConcurrentQueue<string>();
        KernelVariant variant = CpuOnly("Groups", (in CpuGroupContext c, ReadOnlySpan<KernelArgument> _) =>
        {
            seen.AddOrUpdate(c.GroupIndex, 1, (_, n) => n + 1);
            if (c.GridDim != grid || c.GroupDim != group) problems.Enqueue($"dims {c.GridDim} {c.GroupDim}");
            if (c.DynamicSharedMemoryBytes != sharedBytes || c.DynamicSharedMemory % 16 != 0) problems.Enqueue($"shared {c.DynamicSharedMemory:X} {c.DynamicSharedMemoryBytes}");
            // Stamp the shared memory with this group's id, let other workers run, and check nobody else wrote it.
            unsafe
            {
                var shared = new Span<int>((void*)c.DynamicSharedMemory, sharedBytes / 4);
                int id = c.GroupIndex.X + 10 * c.GroupIndex.Y + 100 * c.GroupIndex.Z;
                shared.Fill(id);
                Thread.Sleep(1);
                if (shared.IndexOfAnyExcept(id) >= 0) problems.Enqueue($"group {c.GroupIndex}'s shared memory was overwritten");
            }
        });

        cpu.Launch(variant, new LaunchDimensions(grid, group, sharedBytes), [KernelArgument.Buffer(x.View, ScalarType.Float32)]);

        Assert.Empty(problems);
        Assert.Equal((int)grid.Size, seen.Count);
        Assert.All(seen.Values, n => Assert.Equal(1, n));
    }

    [Fact]
    public void AFailingGroupSurfacesAsOneAggregateExceptionWithTheFirstCause()
    {
        using var cpu = new CpuAccelerator();
        using DeviceBuffer<float> x = cpu.Allocate<float>(1);
        var error = Assert.Throws<AggregateException>(() => cpu.Launch(TestKernels.ThrowsInGroup, new LaunchDimensions(16, 32),
            [KernelArgument.Buffer(x.View, ScalarType.Float32), KernelArgument.From(5)]));

        var cause = Assert.IsType<InvalidOperationException>(Assert.Single(error.InnerExceptions));
        Assert.Equal("boom in group 5", cause.Message);
        Assert.Contains("group (5, 0, 0)", error.Message);
        Assert.Contains("TestKernels.ThrowsInGroup", error.Message);

        // A single group takes the inline path; it reports the same way.
        var single = Assert.Throws<AggregateException>(() => cpu.Launch(TestKernels.ThrowsInGroup, new LaunchDimensions(1, 32),
            [KernelArgument.Buffer(x.View, ScalarType.Float32), KernelArgument.From(0)]));
        Assert.IsType<InvalidOperationException>(Assert.Single(single.InnerExceptions));
    }

    [Fact]
    public void StaticSharedMemoryCountsAgainstTheLimit()
    {
        using var cpu = new CpuAccelerator();
        using DeviceBuffer<float> x = cpu.Allocate<float>(1);
        KernelVariant heavy = CpuOnly("Heavy", (in CpuGroupContext _, ReadOnlySpan<KernelArgument> _) => { }, staticShared: cpu.MaxSharedMemoryPerGroup - 100);
        KernelArgument[] args = [KernelArgument.Buffer(x.View, ScalarType.Float32)];
        cpu.Launch(heavy, new LaunchDimensions(1, 1, 100), args);
        var error = Assert.Throws<ArgumentException>(() => cpu.Launch(heavy, new LaunchDimensions(1, 1, 101), args));
        Assert.Contains($"{cpu.MaxSharedMemoryPerGroup - 100} static + 101 dynamic", error.Message);
    }

    [Fact]
    public void PartialCopiesMatchArraySemantics()
    {
        using var cpu = new CpuAccelerator();
        Gen<(int Length, int Start, int Count)> ranges =
            from length in Gen.Choose(1, 400)
            from start in Gen.Choose(0, length)
            from count in Gen.Choose(0, length - start)
            select (length, start, count);
        Prop.ForAll(Arb.From(ranges), r =>
        {
            using DeviceBuffer<long> buffer = cpu.Allocate<long>(r.Length);
            long[] reference = [.. Enumerable.Range(0, r.Length).Select(i => (long)i * 3)];
            buffer.CopyFrom(reference);
            long[] part = [.. Enumerable.Range(0, r.Count).Select(i => -(long)i - 1)];
            buffer.CopyFrom(part, r.Start);
            part.CopyTo(reference, r.Start);
            long[] window = new long[r.Count];
            buffer.CopyTo(window, r.Start);
            return buffer.ToArray().AsSpan().SequenceEqual(reference) && window.AsSpan().SequenceEqual(reference.AsSpan(r.Start, r.Count));
        }).QuickCheckThrowOnFailure();
    }
}
