using System.Runtime.InteropServices;

namespace RectifiedSpaAttn.Compute.Cpu;

/// <summary>Runs a variant's CPU form over a grid: one call per group, groups spread over all processors.</summary>
internal static class CpuLauncher
{
    /// <summary>Dynamic shared memory is 1 KiB aligned, as Hopper kernels declare it, for 128-byte-swizzled tiles.</summary>
    private const int SharedAlignment = 1024;

    public static void Run(KernelVariant variant, LaunchDimensions dims, ReadOnlySpan<KernelArgument> arguments)
    {
        KernelArgument[] args = arguments.ToArray();
        long groups = dims.Grid.Size;
        int sharedBytes = dims.DynamicSharedMemoryBytes;
        var failure = new GroupFailure();

        if (groups == 1)
        {
            // One group: skip the thread pool (common for small test launches and reductions).
            nint shared = AllocateShared(sharedBytes);
            try { RunGroup(variant, dims, args, 0, shared, failure); }
            finally { FreeShared(shared); }
        }
        else
        {
            var options = new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount };
            Parallel.For(
                0L, groups, options,
                () => AllocateShared(sharedBytes),
                (group, state, shared) =>
                {
                    if (!RunGroup(variant, dims, args, group, shared, failure)) state.Stop();
                    return shared;
                },
                FreeShared);
        }

        if (failure.Exception is { } first)
            throw new AggregateException(
                $"{variant.DisplayName} failed on the CPU in group {failure.Group}: {first.Message}", first);
    }

    /// <summary>Runs one group; records the first failure and returns false when this group failed.</summary>
    private static bool RunGroup(KernelVariant variant, LaunchDimensions dims, KernelArgument[] args, long linear, nint shared, GroupFailure failure)
    {
        if (failure.Exception is not null) return false;
        Dim3 grid = dims.Grid;
        var index = new Dim3(
            (int)(linear % grid.X),
            (int)(linear / grid.X % grid.Y),
            (int)(linear / ((long)grid.X * grid.Y)));
        var context = new CpuGroupContext(index, grid, dims.Group, shared, dims.DynamicSharedMemoryBytes);
        try
        {
            variant.Cpu(in context, args);
            return true;
        }
        catch (Exception e)
        {
            lock (failure)
            {
                if (failure.Exception is null)
                {
                    failure.Exception = e;
                    failure.Group = index;
                }
            }
            return false;
        }
    }

    private static unsafe nint AllocateShared(int bytes)
        => bytes == 0 ? 0 : (nint)NativeMemory.AlignedAlloc((nuint)bytes, SharedAlignment);

    private static unsafe void FreeShared(nint shared)
    {
        if (shared != 0) NativeMemory.AlignedFree((void*)shared);
    }

    private sealed class GroupFailure
    {
        public volatile Exception? Exception;
        public Dim3 Group;
    }
}
