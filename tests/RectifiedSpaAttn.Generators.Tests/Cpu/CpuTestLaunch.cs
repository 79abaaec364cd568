using RectifiedSpaAttn.Compute;
using RectifiedSpaAttn.Compute.Cpu;

namespace RectifiedSpaAttn.Generators.Tests.Cpu;

/// <summary>
/// Launches an IR-built kernel (<see cref="CpuKernelCompiler"/>) whose first argument is an int output of one element per
/// thread, filled with -1 first, on a fresh CPU accelerator, for the emulation's synchronisation tests.
/// </summary>
internal static class CpuTestLaunch
{
    /// <summary>
    /// Runs <paramref name="groups"/> groups of <paramref name="groupSize"/> threads, passing <paramref name="more"/>
    /// after the output; returns the one exception the launch threw (unwrapped from its <see cref="AggregateException"/>),
    /// or null, and the output as the launch left it.
    /// </summary>
    public static Exception? Run(KernelVariant kernel, int groups, int groupSize, out int[] output, params KernelArgument[] more)
    {
        using var cpu = new CpuAccelerator();
        using DeviceBuffer<int> buffer = cpu.Allocate<int>(groups * groupSize);
        buffer.Fill(-1);
        Exception? error = null;
        try
        {
            cpu.Launch(kernel, new LaunchDimensions(groups, groupSize), [KernelArgument.Buffer(buffer.View, ScalarType.Int32), .. more]);
        }
        catch (AggregateException e)
        {
            error = Assert.Single(e.InnerExceptions);
        }
        output = buffer.ToArray();
        return error;
    }
}
