using RectifiedSpaAttn.Compute;
using RectifiedSpaAttn.Compute.Cpu;

namespace RectifiedSpaAttn.Tests.Accelerators;

/// <summary>Accelerators for tests parameterised by backend.</summary>
internal static class TestAccelerators
{
    private static readonly Lazy<CpuAccelerator> s_cpu = new(() => new CpuAccelerator());

    /// <summary>Every backend, in the order tests run them.</summary>
    public static readonly AcceleratorKind[] Every = [AcceleratorKind.Cpu, AcceleratorKind.OpenCL, AcceleratorKind.Cuda];

    /// <summary>Backends for [Theory] tests.</summary>
    public static TheoryData<AcceleratorKind> AllKinds => new(Every);

    /// <summary>A shared accelerator of <paramref name="kind"/> (never dispose it); skips the test when the backend is absent here.</summary>
    public static Accelerator Shared(AcceleratorKind kind, ITestOutputHelper output) => kind switch
    {
        AcceleratorKind.Cpu => s_cpu.Value,
        AcceleratorKind.OpenCL => OpenCLTestDevice.RequireOrSkipOutsideCI(output),
        _ => CudaTestDevice.TryGet(output),
    };

    /// <summary>A new accelerator of <paramref name="kind"/> the caller owns; skips the test when the backend is absent here.</summary>
    public static Accelerator CreateOwned(AcceleratorKind kind, ITestOutputHelper output)
    {
        switch (kind)
        {
            case AcceleratorKind.Cpu:
                return new CpuAccelerator();
            case AcceleratorKind.OpenCL:
                return OpenCLTestDevice.CreateOrSkipOutsideCI(output);
            default:
                CudaTestDevice.TryGet(output);
                var context = Context.Create();
                return context.CreateAccelerator(context.Devices.First(d => d.Kind == AcceleratorKind.Cuda));
        }
    }

    /// <summary>A seed for a test's random inputs, fresh each run; put it in failure messages.</summary>
    public static int NewSeed() => Random.Shared.Next();
}
