using System.Runtime.InteropServices;
using RectifiedSpaAttn.Compute;
using RectifiedSpaAttn.Tests.TestSupport;

namespace RectifiedSpaAttn.Tests.Accelerators;

/// <summary>Device enumeration, availability reasons, creating accelerators, choosing the best one.</summary>
public sealed class ContextTests(ITestOutputHelper output)
{
    [Fact]
    public void ListsTheCpuLastAndEveryDeviceCanBeOpened()
    {
        using var context = Context.Create();
        foreach (AcceleratorInfo device in context.Devices) output.WriteLine(device.ToString());

        AcceleratorInfo cpu = Assert.Single(context.Devices, d => d.Kind == AcceleratorKind.Cpu);
        Assert.Same(cpu, context.Devices[^1]);
        Assert.Equal(0, cpu.Index);
        // Backends appear in order: CUDA, OpenCL, CPU.
        Assert.Equal(context.Devices.OrderBy(d => d.Kind).ToList(), context.Devices.ToList());

        foreach (AcceleratorInfo device in context.Devices)
        {
            using Accelerator accelerator = context.CreateAccelerator(device);
            Assert.Same(device, accelerator.Info);
            Assert.Equal((device.Kind, device.Name), (accelerator.Kind, accelerator.Name));
            using DeviceBuffer<int> buffer = accelerator.Allocate<int>(3);
            buffer.CopyFrom([1, 2, 3]);
            Assert.Equal([1, 2, 3], buffer.ToArray());
        }
        Assert.Throws<ArgumentNullException>(() => context.CreateAccelerator(null!));
    }

    [Fact]
    public void CudaIsUnavailableWithAReasonWhenTheDriverIsMissing()
    {
        using var context = Context.Create();
        string library = OperatingSystem.IsWindows() ? "nvcuda.dll" : "libcuda.so.1";
        bool driverLoads = NativeLibrary.TryLoad(library, out _);
        output.WriteLine($"{library} loads: {driverLoads}; CUDA: {Context.CudaUnavailableReason ?? "available"}");
        if (!driverLoads)
        {
            Assert.False(Context.IsCudaAvailable);
            Assert.Equal($"not available: {library} could not be loaded", Context.CudaUnavailableReason);
            Assert.DoesNotContain(context.Devices, d => d.Kind == AcceleratorKind.Cuda);
        }
        else
        {
            Assert.Equal(Context.IsCudaAvailable, context.Devices.Any(d => d.Kind == AcceleratorKind.Cuda));
            Assert.Equal(Context.IsCudaAvailable, Context.CudaUnavailableReason is null);
        }
    }

    [Fact]
    public void OpenCLAvailabilityMatchesTheDeviceList()
    {
        using var context = Context.Create();
        output.WriteLine($"OpenCL: {Context.OpenCLUnavailableReason ?? "available"}");
        Assert.Equal(Context.IsOpenCLAvailable, context.Devices.Any(d => d.Kind == AcceleratorKind.OpenCL));
        if (Context.IsOpenCLAvailable)
        {
            Assert.Null(Context.OpenCLUnavailableReason);
            var indices = context.Devices.Where(d => d.Kind == AcceleratorKind.OpenCL).Select(d => d.Index).ToList();
            Assert.Equal(Enumerable.Range(0, indices.Count), indices);
        }
        else
        {
            Assert.StartsWith("not available: ", Context.OpenCLUnavailableReason);
            if (MissingTool.InCI) Assert.Fail($"CI=true but OpenCL is {Context.OpenCLUnavailableReason}");
        }
    }

    [Fact]
    public void CreateBestPrefersCudaThenAnOpenCLGpuThenTheCpu()
    {
        using var context = Context.Create();
        using Accelerator best = context.CreateBest();
        output.WriteLine($"best: {best}");
        AcceleratorKind expected = context.Devices.Any(d => d.Kind == AcceleratorKind.Cuda) ? AcceleratorKind.Cuda
            : context.Devices.Any(d => d.Kind == AcceleratorKind.OpenCL && d.IsGpu) ? AcceleratorKind.OpenCL
            : AcceleratorKind.Cpu;
        Assert.Equal(expected, best.Kind);
    }

    [Fact]
    public void DisposingTheContextDisposesItsAccelerators()
    {
        var context = Context.Create();
        Accelerator cpu = context.CreateAccelerator(context.Devices[^1]);
        context.Dispose();
        Assert.True(cpu.IsDisposed);
        Assert.Throws<ObjectDisposedException>(() => context.CreateAccelerator(context.Devices[^1]));
    }
}
