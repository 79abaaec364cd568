using RectifiedSpaAttn.Compute;
using RectifiedSpaAttn.Compute.OpenCL;
using RectifiedSpaAttn.Generators.Backends.OpenCL;
using RectifiedSpaAttn.Generators.Ir;
using static RectifiedSpaAttn.Generators.Tests.X;

namespace RectifiedSpaAttn.Generators.Tests.OpenCL;

/// <summary>
/// A kernel whose only group memory is dynamic. NVIDIA's OpenCL faults on every <c>dyn_smem</c> access of such a
/// kernel unless it also declares static <c>__local</c> memory, so the backend adds a one-word anchor; the launch
/// uses most of the 48 KiB NVIDIA allows, and each group reverses its slice through it.
/// </summary>
public sealed class DynamicLocalTests(ITestOutputHelper output)
{
    private static IrKernel ReverseThroughDynamicLocal(IrBuilder bld, out IrParam src, out IrParam dst)
    {
        src = bld.Buffer("src", IrType.I32);
        dst = bld.Buffer("dst", IrType.I32);
        // The tile sits at the END of a 40 KiB dynamic area, so a launch given less memory than asked would show.
        const long AreaBytes = 40 * 1024, TileBytes = 4 * 1024;
        IrView tile = bld.DynamicShared(IrType.I32, AreaBytes - TileBytes, TileBytes / 4);
        return bld.Build("reverse_dynamic",
            Store(tile, Tid, Load(View(src), GlobalX)),
            GroupBarrier,
            Store(View(dst), GlobalX, Load(tile, Sub(Sub(S(IrSpecialKind.GroupDimX), I32(1)), Tid))));
    }

    [Fact]
    public void AKernelWithOnlyDynamicLocalMemoryDeclaresAnAnchor()
    {
        IrKernel kernel = ReverseThroughDynamicLocal(new IrBuilder(), out _, out _);
        Assert.Equal(0, kernel.StaticSharedBytes);
        string program = OpenCLBackend.Emit(kernel);
        Assert.Contains("__local volatile uint rsa_local_anchor[1];", program);
        Assert.Contains("rsa_local_anchor[0] = 0u;", program);
    }

    [Fact]
    public void EachGroupReversesItsSliceThroughDynamicLocalMemory()
    {
        OpenCLAccelerator? cl = OpenCLTestDevice.RequireOrSkipOutsideCI(output);
        if (cl is null) return;
        KernelVariant variant = OpenCLKernelRunner.Variant(ReverseThroughDynamicLocal(new IrBuilder(), out _, out _), output);
        int seed = OpenCLKernelRunner.NewSeed();
        var rng = new Random(seed);
        int group = new[] { 32, 128, 256 }[rng.Next(3)], groups = rng.Next(1, 9), n = group * groups;
        int[] src = [.. Enumerable.Range(0, n).Select(_ => rng.Next())];
        using DeviceBuffer<int> input = cl.Allocate<int>(n);
        using DeviceBuffer<int> result = cl.Allocate<int>(n);
        input.CopyFrom(src);
        result.Fill(-1);
        cl.Launch(variant, new LaunchDimensions(groups, group, 40 * 1024),
            [KernelArgument.Buffer(input.View, ScalarType.Int32), KernelArgument.Buffer(result.View, ScalarType.Int32)]);
        int[] got = result.ToArray();
        for (int g = 0; g < groups; g++)
            for (int t = 0; t < group; t++)
                Assert.True(src[g * group + group - 1 - t] == got[g * group + t], $"seed {seed}: group {g} thread {t} of {group} got {got[g * group + t]}");
    }
}
