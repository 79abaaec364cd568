using RectifiedSpaAttn.Compute.Cpu;
using RectifiedSpaAttn.Compute.Cuda;
using RectifiedSpaAttn.Compute.OpenCL;

namespace RectifiedSpaAttn.Compute;

/// <summary>
/// The devices this machine offers: CUDA GPUs (through the driver API), OpenCL devices (through the ICD loader) and
/// the CPU. A missing driver or device never throws: its backend simply lists nothing, and
/// <see cref="CudaUnavailableReason"/> / <see cref="OpenCLUnavailableReason"/> say why. Disposing the context disposes
/// the accelerators it created.
/// </summary>
public sealed class Context : IDisposable
{
    private readonly List<Accelerator> _created = [];
    private bool _disposed;

    private Context(IReadOnlyList<AcceleratorInfo> devices) => Devices = devices;

    /// <summary>Every usable device: CUDA devices first, then OpenCL devices, then the CPU (always present).</summary>
    public IReadOnlyList<AcceleratorInfo> Devices { get; }

    /// <summary>Whether the CUDA driver loaded, initialised and found at least one device.</summary>
    public static bool IsCudaAvailable => CudaDriver.Status.IsAvailable;

    /// <summary>Null when CUDA is available; otherwise why not, e.g. <c>not available: libcuda.so.1 could not be loaded</c>.</summary>
    public static string? CudaUnavailableReason => CudaDriver.Status.UnavailableReason;

    /// <summary>Whether an OpenCL ICD loader with at least one platform and device was found.</summary>
    public static bool IsOpenCLAvailable => OpenCLDriver.Status.IsAvailable;

    /// <summary>Null when OpenCL is available; otherwise why not, e.g. <c>not available: no OpenCL platform is installed ...</c>.</summary>
    public static string? OpenCLUnavailableReason => OpenCLDriver.Status.UnavailableReason;

    /// <summary>Finds the devices (the drivers are probed once per process).</summary>
    public static Context Create()
        => new([.. CudaDriver.Status.Devices, .. OpenCLDriver.Status.Devices, CpuDevice.Describe()]);

    /// <summary>Creates an accelerator for <paramref name="device"/>, one of <see cref="Devices"/>.</summary>
    /// <exception cref="ArgumentException"><paramref name="device"/> is not one of this context's devices.</exception>
    /// <exception cref="AcceleratorException">The driver could not open the device.</exception>
    public Accelerator CreateAccelerator(AcceleratorInfo device)
    {
        ArgumentNullException.ThrowIfNull(device);
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (!Devices.Contains(device))
            throw new ArgumentException($"'{device}' is not one of this context's devices.", nameof(device));
        Accelerator accelerator = device.Kind switch
        {
            AcceleratorKind.Cuda => new CudaAccelerator(device),
            AcceleratorKind.OpenCL => new OpenCLAccelerator(device),
            _ => new CpuAccelerator(device),
        };
        lock (_created) _created.Add(accelerator);
        return accelerator;
    }

    /// <summary>
    /// The fastest device likely to be here: the first CUDA device, else the first OpenCL GPU, else the CPU. A device
    /// whose driver fails to open it is passed over for the next choice.
    /// </summary>
    public Accelerator CreateBest()
    {
        IEnumerable<AcceleratorInfo> candidates = Devices.Where(d => d.Kind == AcceleratorKind.Cuda)
            .Concat(Devices.Where(d => d.Kind == AcceleratorKind.OpenCL && d.IsGpu));
        foreach (AcceleratorInfo device in candidates)
        {
            try
            {
                return CreateAccelerator(device);
            }
            catch (AcceleratorException)
            {
                // Fall through to the next device; the CPU always works.
            }
        }
        return CreateAccelerator(Devices.First(d => d.Kind == AcceleratorKind.Cpu));
    }

    /// <summary>Disposes every accelerator this context created.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        Accelerator[] created;
        lock (_created) created = [.. _created];
        foreach (Accelerator accelerator in created) accelerator.Dispose();
    }
}
