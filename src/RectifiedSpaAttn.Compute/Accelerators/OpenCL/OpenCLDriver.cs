using static RectifiedSpaAttn.Compute.OpenCL.OpenCLApi;

namespace RectifiedSpaAttn.Compute.OpenCL;

/// <summary>Loads the OpenCL ICD loader once per process and lists the devices of every platform.</summary>
internal static unsafe class OpenCLDriver
{
    private static readonly Lazy<BackendStatus> s_status = new(Probe);

    /// <summary>Most work items per group on any OpenCL device (the generated programs' warp emulation is sized for it).</summary>
    public const int MaxGroupSize = 1024;

    /// <summary>The loader's availability and devices (probed on first use; never throws).</summary>
    public static BackendStatus Status => s_status.Value;

    private static BackendStatus Probe()
    {
        string file = NativeLibraries.PlatformFileName(NativeLibraries.OpenCL);
        if (!NativeLibraries.TryLoad(NativeLibraries.OpenCL, out _))
            return BackendStatus.Unavailable($"{file} could not be loaded");
        try
        {
            uint count;
            int result = clGetPlatformIDs(0, null, &count);
            if (result == CL_PLATFORM_NOT_FOUND_KHR || (result == CL_SUCCESS && count == 0))
                return BackendStatus.Unavailable("no OpenCL platform is installed (the ICD loader found no vendor driver)");
            OpenCLErrors.Check(result, "clGetPlatformIDs");
            var platforms = new nint[count];
            fixed (nint* p = platforms)
                OpenCLErrors.Check(clGetPlatformIDs(count, p, null), "clGetPlatformIDs");

            var devices = new List<AcceleratorInfo>();
            string? firstError = null;
            foreach (nint platform in platforms)
            {
                // One broken vendor driver must not hide the devices of the others.
                try
                {
                    AddDevices(platform, devices);
                }
                catch (AcceleratorException e)
                {
                    firstError ??= e.Message;
                }
            }
            if (devices.Count > 0) return BackendStatus.Available(devices);
            return BackendStatus.Unavailable(firstError ?? $"the {count} OpenCL platform(s) offer no available device");
        }
        catch (AcceleratorException e)
        {
            return BackendStatus.Unavailable(e.Message);
        }
        catch (EntryPointNotFoundException e)
        {
            return BackendStatus.Unavailable($"{file} lacks an OpenCL 1.2 function ({e.Message})");
        }
    }

    private static void AddDevices(nint platform, List<AcceleratorInfo> devices)
    {
        string platformName = OpenCLQuery.PlatformString(platform, CL_PLATFORM_NAME);
        uint count;
        int result = clGetDeviceIDs(platform, CL_DEVICE_TYPE_ALL, 0, null, &count);
        if (result == CL_DEVICE_NOT_FOUND || count == 0) return;
        OpenCLErrors.Check(result, "clGetDeviceIDs");
        var ids = new nint[count];
        fixed (nint* d = ids)
            OpenCLErrors.Check(clGetDeviceIDs(platform, CL_DEVICE_TYPE_ALL, count, d, null), "clGetDeviceIDs");
        foreach (nint device in ids)
        {
            if (OpenCLQuery.Device<uint>(device, CL_DEVICE_AVAILABLE) == 0) continue;
            devices.Add(Describe(platform, platformName, device, devices.Count));
        }
    }

    private static AcceleratorInfo Describe(nint platform, string platformName, nint device, int index)
    {
        string extensions = OpenCLQuery.DeviceString(device, CL_DEVICE_EXTENSIONS);
        ulong type = OpenCLQuery.Device<ulong>(device, CL_DEVICE_TYPE);
        return new AcceleratorInfo(
            AcceleratorKind.OpenCL,
            index,
            OpenCLQuery.DeviceString(device, CL_DEVICE_NAME),
            (long)OpenCLQuery.Device<ulong>(device, CL_DEVICE_GLOBAL_MEM_SIZE),
            warpSize: WarpSize(device, extensions),
            maxSharedMemoryPerGroup: (int)Math.Min(OpenCLQuery.Device<ulong>(device, CL_DEVICE_LOCAL_MEM_SIZE), int.MaxValue),
            // Kernels are written for CUDA's 1024 threads per block, and the OpenCL warp emulation gives each work item
            // of a group one word of its 1024-word scratch: larger groups (pocl offers 4096) are refused at launch.
            maxGroupSize: (int)Math.Min(OpenCLQuery.Device<nuint>(device, CL_DEVICE_MAX_WORK_GROUP_SIZE), MaxGroupSize),
            multiprocessorCount: (int)OpenCLQuery.Device<uint>(device, CL_DEVICE_MAX_COMPUTE_UNITS),
            openCLVersion: OpenCLQuery.DeviceString(device, CL_DEVICE_VERSION),
            platformName: platformName,
            isGpu: (type & CL_DEVICE_TYPE_GPU) != 0)
        {
            PlatformHandle = platform,
            DeviceHandle = device,
        };
    }

    /// <summary>
    /// OpenCL 1.2 has no portable warp size; NVIDIA and AMD report theirs through vendor extensions. Other devices
    /// promise no lock-step execution, which 1 expresses.
    /// </summary>
    private static int WarpSize(nint device, string extensions)
    {
        if (extensions.Contains("cl_nv_device_attribute_query", StringComparison.Ordinal)
            && OpenCLQuery.TryDevice<uint>(device, CL_DEVICE_WARP_SIZE_NV) is uint nv and > 0)
            return (int)nv;
        if (extensions.Contains("cl_amd_device_attribute_query", StringComparison.Ordinal)
            && OpenCLQuery.TryDevice<uint>(device, CL_DEVICE_WAVEFRONT_WIDTH_AMD) is uint amd and > 0)
            return (int)amd;
        return 1;
    }
}
