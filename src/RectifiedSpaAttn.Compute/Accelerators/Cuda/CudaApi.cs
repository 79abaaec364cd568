using System.Runtime.InteropServices;

namespace RectifiedSpaAttn.Compute.Cuda;

/// <summary>
/// The CUDA driver API entry points the CUDA accelerator uses. Every function returns a <c>CUresult</c> (0 = success).
/// Entry points are the exported symbols <c>cuda.h</c> maps its names to (<c>cuMemAlloc</c> is <c>cuMemAlloc_v2</c>, ...).
/// Handles (<c>CUcontext</c>, <c>CUmodule</c>, <c>CUfunction</c>, <c>CUstream</c>) are pointers; <c>CUdeviceptr</c> is 64-bit.
/// </summary>
internal static unsafe partial class CudaApi
{
    private const string Lib = NativeLibraries.Cuda;

    // CUdevice_attribute values used here.
    public const int AttrMaxThreadsPerBlock = 1;
    public const int AttrMaxBlockDimX = 2;
    public const int AttrMaxBlockDimY = 3;
    public const int AttrMaxBlockDimZ = 4;
    public const int AttrMaxGridDimX = 5;
    public const int AttrMaxGridDimY = 6;
    public const int AttrMaxGridDimZ = 7;
    public const int AttrMaxSharedMemoryPerBlock = 8;
    public const int AttrWarpSize = 10;
    public const int AttrMultiprocessorCount = 16;
    public const int AttrComputeCapabilityMajor = 75;
    public const int AttrComputeCapabilityMinor = 76;
    public const int AttrMaxSharedMemoryPerBlockOptin = 97;

    // CUfunction_attribute values used here.
    public const int FuncAttrMaxThreadsPerBlock = 0;
    public const int FuncAttrSharedSizeBytes = 1;
    public const int FuncAttrMaxDynamicSharedSizeBytes = 8;

    // CUjit_option values used here.
    public const int JitInfoLogBuffer = 3;
    public const int JitInfoLogBufferSizeBytes = 4;
    public const int JitErrorLogBuffer = 5;
    public const int JitErrorLogBufferSizeBytes = 6;

    /// <summary>Dynamic shared memory a kernel may use without opting in with <c>cuFuncSetAttribute</c>.</summary>
    public const int DefaultDynamicSharedLimit = 48 * 1024;

    public const int CUDA_ERROR_NOT_FOUND = 500;
    public const int CUDA_ERROR_NOT_READY = 600;

    /// <summary><c>CU_EVENT_DISABLE_TIMING</c>: an event only for ordering and queries, the cheapest kind.</summary>
    public const uint EventDisableTiming = 2;

    static CudaApi() => NativeLibraries.EnsureRegistered();

    [LibraryImport(Lib)] public static partial int cuInit(uint flags);
    [LibraryImport(Lib)] public static partial int cuDriverGetVersion(int* version);
    [LibraryImport(Lib)] public static partial int cuGetErrorName(int error, byte** name);
    [LibraryImport(Lib)] public static partial int cuGetErrorString(int error, byte** description);

    [LibraryImport(Lib)] public static partial int cuDeviceGetCount(int* count);
    [LibraryImport(Lib)] public static partial int cuDeviceGet(int* device, int ordinal);
    [LibraryImport(Lib)] public static partial int cuDeviceGetName(byte* name, int length, int device);
    [LibraryImport(Lib, EntryPoint = "cuDeviceTotalMem_v2")] public static partial int cuDeviceTotalMem(nuint* bytes, int device);
    [LibraryImport(Lib)] public static partial int cuDeviceGetAttribute(int* value, int attribute, int device);

    [LibraryImport(Lib)] public static partial int cuDevicePrimaryCtxRetain(nint* context, int device);
    [LibraryImport(Lib, EntryPoint = "cuDevicePrimaryCtxRelease_v2")] public static partial int cuDevicePrimaryCtxRelease(int device);
    [LibraryImport(Lib)] public static partial int cuCtxSetCurrent(nint context);
    [LibraryImport(Lib)] public static partial int cuCtxSynchronize();

    [LibraryImport(Lib, EntryPoint = "cuMemAlloc_v2")] public static partial int cuMemAlloc(ulong* pointer, nuint bytes);
    [LibraryImport(Lib, EntryPoint = "cuMemFree_v2")] public static partial int cuMemFree(ulong pointer);
    [LibraryImport(Lib, EntryPoint = "cuMemcpyHtoD_v2")] public static partial int cuMemcpyHtoD(ulong destination, void* source, nuint bytes);
    [LibraryImport(Lib, EntryPoint = "cuMemcpyDtoH_v2")] public static partial int cuMemcpyDtoH(void* destination, ulong source, nuint bytes);
    [LibraryImport(Lib, EntryPoint = "cuMemcpyHtoDAsync_v2")] public static partial int cuMemcpyHtoDAsync(ulong destination, void* source, nuint bytes, nint stream);
    [LibraryImport(Lib, EntryPoint = "cuMemcpyDtoHAsync_v2")] public static partial int cuMemcpyDtoHAsync(void* destination, ulong source, nuint bytes, nint stream);
    [LibraryImport(Lib, EntryPoint = "cuMemAllocHost_v2")] public static partial int cuMemAllocHost(void** pointer, nuint bytes);
    [LibraryImport(Lib)] public static partial int cuMemFreeHost(void* pointer);
    [LibraryImport(Lib, EntryPoint = "cuMemsetD8_v2")] public static partial int cuMemsetD8(ulong destination, byte value, nuint count);
    [LibraryImport(Lib, EntryPoint = "cuMemsetD16_v2")] public static partial int cuMemsetD16(ulong destination, ushort value, nuint count);
    [LibraryImport(Lib, EntryPoint = "cuMemsetD32_v2")] public static partial int cuMemsetD32(ulong destination, uint value, nuint count);

    [LibraryImport(Lib)] public static partial int cuModuleLoadDataEx(nint* module, void* image, uint optionCount, int* options, void** optionValues);
    [LibraryImport(Lib)] public static partial int cuModuleGetFunction(nint* function, nint module, byte* name);
    [LibraryImport(Lib)] public static partial int cuModuleUnload(nint module);
    [LibraryImport(Lib)] public static partial int cuFuncGetAttribute(int* value, int attribute, nint function);
    [LibraryImport(Lib)] public static partial int cuFuncSetAttribute(nint function, int attribute, int value);
    [LibraryImport(Lib)] public static partial int cuLaunchKernel(
        nint function,
        uint gridX, uint gridY, uint gridZ,
        uint blockX, uint blockY, uint blockZ,
        uint sharedMemoryBytes, nint stream, void** parameters, void** extra);

    [LibraryImport(Lib)] public static partial int cuStreamCreate(nint* stream, uint flags);
    [LibraryImport(Lib)] public static partial int cuStreamSynchronize(nint stream);
    [LibraryImport(Lib, EntryPoint = "cuStreamDestroy_v2")] public static partial int cuStreamDestroy(nint stream);
    [LibraryImport(Lib)] public static partial int cuStreamQuery(nint stream);

    [LibraryImport(Lib)] public static partial int cuEventCreate(nint* evt, uint flags);
    [LibraryImport(Lib)] public static partial int cuEventRecord(nint evt, nint stream);
    [LibraryImport(Lib)] public static partial int cuEventQuery(nint evt);
    [LibraryImport(Lib, EntryPoint = "cuEventDestroy_v2")] public static partial int cuEventDestroy(nint evt);
}
