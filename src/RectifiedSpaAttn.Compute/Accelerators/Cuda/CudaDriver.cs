using System.Text;
using static RectifiedSpaAttn.Compute.Cuda.CudaApi;

namespace RectifiedSpaAttn.Compute.Cuda;

/// <summary>Loads and initialises the CUDA driver once per process and lists its devices.</summary>
internal static unsafe class CudaDriver
{
    private static readonly Lazy<BackendStatus> s_status = new(Probe);

    /// <summary>The driver's availability and devices (probed on first use; never throws).</summary>
    public static BackendStatus Status => s_status.Value;

    private static BackendStatus Probe()
    {
        string file = NativeLibraries.PlatformFileName(NativeLibraries.Cuda);
        if (!NativeLibraries.TryLoad(NativeLibraries.Cuda, out _))
            return BackendStatus.Unavailable($"{file} could not be loaded");
        try
        {
            int result = cuInit(0);
            if (result != 0)
                return BackendStatus.Unavailable($"cuInit failed with {CudaErrors.Name(result)} ({result})");
            int count;
            CudaErrors.Check(cuDeviceGetCount(&count), "cuDeviceGetCount");
            if (count == 0)
                return BackendStatus.Unavailable("the CUDA driver found no device");
            string platform = DriverVersion();
            var devices = new List<AcceleratorInfo>(count);
            for (int ordinal = 0; ordinal < count; ordinal++) devices.Add(Describe(ordinal, platform));
            return BackendStatus.Available(devices);
        }
        catch (AcceleratorException e)
        {
            return BackendStatus.Unavailable(e.Message);
        }
        catch (EntryPointNotFoundException e)
        {
            return BackendStatus.Unavailable($"{file} lacks a driver API function ({e.Message}); the driver is too old");
        }
    }

    private static string DriverVersion()
    {
        int version = 0;
        return cuDriverGetVersion(&version) == 0 ? $"CUDA {version / 1000}.{version % 1000 / 10}" : "CUDA";
    }

    private static AcceleratorInfo Describe(int ordinal, string platform)
    {
        int device;
        CudaErrors.Check(cuDeviceGet(&device, ordinal), "cuDeviceGet");
        byte* name = stackalloc byte[256];
        CudaErrors.Check(cuDeviceGetName(name, 256, device), "cuDeviceGetName");
        nuint memory;
        CudaErrors.Check(cuDeviceTotalMem(&memory, device), "cuDeviceTotalMem_v2");
        int optin = Attribute(device, AttrMaxSharedMemoryPerBlockOptin);
        return new AcceleratorInfo(
            AcceleratorKind.Cuda,
            ordinal,
            Encoding.UTF8.GetString(UpToNul(new ReadOnlySpan<byte>(name, 256))),
            (long)memory,
            warpSize: Attribute(device, AttrWarpSize),
            // Kernels opt in to the larger limit (cuFuncSetAttribute) when they need more than the default 48 KiB.
            maxSharedMemoryPerGroup: optin > 0 ? optin : Attribute(device, AttrMaxSharedMemoryPerBlock),
            maxGroupSize: Attribute(device, AttrMaxThreadsPerBlock),
            multiprocessorCount: Attribute(device, AttrMultiprocessorCount),
            computeCapability: new Version(Attribute(device, AttrComputeCapabilityMajor), Attribute(device, AttrComputeCapabilityMinor)),
            platformName: platform,
            isGpu: true);
    }

    /// <summary>One <c>CUdevice_attribute</c> of <paramref name="device"/>.</summary>
    public static int Attribute(int device, int attribute)
    {
        int value;
        CudaErrors.Check(cuDeviceGetAttribute(&value, attribute, device), "cuDeviceGetAttribute", $"attribute {attribute}");
        return value;
    }

    /// <summary>The bytes before the first NUL.</summary>
    private static ReadOnlySpan<byte> UpToNul(ReadOnlySpan<byte> text)
    {
        int end = text.IndexOf((byte)0);
        return end < 0 ? text : text[..end];
    }
}
