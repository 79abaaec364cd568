using System.Runtime.InteropServices;

namespace RectifiedSpaAttn.Compute.OpenCL;

/// <summary>
/// The OpenCL 1.2 entry points the OpenCL accelerator uses, through the ICD loader. Functions return a <c>cl_int</c>
/// (0 = <c>CL_SUCCESS</c>) or take a <c>cl_int*</c> for it. Object handles are pointers; <c>cl_bitfield</c>s are 64-bit;
/// <c>cl_uint</c>/<c>cl_bool</c> are 32-bit.
/// </summary>
internal static unsafe partial class OpenCLApi
{
    private const string Lib = NativeLibraries.OpenCL;

    public const int CL_SUCCESS = 0;
    public const int CL_DEVICE_NOT_FOUND = -1;
    public const int CL_BUILD_PROGRAM_FAILURE = -11;
    public const int CL_PLATFORM_NOT_FOUND_KHR = -1001;
    public const uint CL_TRUE = 1;
    public const uint CL_FALSE = 0;
    public const int CL_COMPLETE = 0;
    public const uint CL_EVENT_COMMAND_EXECUTION_STATUS = 0x11D3;

    public const uint CL_PLATFORM_VERSION = 0x0901;
    public const uint CL_PLATFORM_NAME = 0x0902;

    public const ulong CL_DEVICE_TYPE_GPU = 1 << 2;
    public const ulong CL_DEVICE_TYPE_ALL = 0xFFFFFFFF;

    public const uint CL_DEVICE_TYPE = 0x1000;
    public const uint CL_DEVICE_MAX_COMPUTE_UNITS = 0x1002;
    public const uint CL_DEVICE_MAX_WORK_ITEM_DIMENSIONS = 0x1003;
    public const uint CL_DEVICE_MAX_WORK_GROUP_SIZE = 0x1004;
    public const uint CL_DEVICE_MAX_WORK_ITEM_SIZES = 0x1005;
    public const uint CL_DEVICE_SINGLE_FP_CONFIG = 0x101B;
    public const ulong CL_FP_CORRECTLY_ROUNDED_DIVIDE_SQRT = 1 << 7;
    public const uint CL_DEVICE_GLOBAL_MEM_SIZE = 0x101F;
    public const uint CL_DEVICE_LOCAL_MEM_SIZE = 0x1023;
    public const uint CL_DEVICE_AVAILABLE = 0x1027;
    public const uint CL_DEVICE_NAME = 0x102B;
    public const uint CL_DEVICE_VERSION = 0x102F;
    public const uint CL_DEVICE_EXTENSIONS = 0x1030;
    public const uint CL_DEVICE_WARP_SIZE_NV = 0x4003;
    public const uint CL_DEVICE_WAVEFRONT_WIDTH_AMD = 0x4043;

    public const ulong CL_MEM_READ_WRITE = 1 << 0;

    public const uint CL_PROGRAM_BUILD_LOG = 0x1183;
    public const uint CL_KERNEL_NUM_ARGS = 0x1191;
    public const uint CL_KERNEL_WORK_GROUP_SIZE = 0x11B0;
    public const uint CL_KERNEL_LOCAL_MEM_SIZE = 0x11B2;

    static OpenCLApi() => NativeLibraries.EnsureRegistered();

    [LibraryImport(Lib)] public static partial int clGetPlatformIDs(uint count, nint* platforms, uint* available);
    [LibraryImport(Lib)] public static partial int clGetPlatformInfo(nint platform, uint name, nuint size, void* value, nuint* sizeReturned);
    [LibraryImport(Lib)] public static partial int clGetDeviceIDs(nint platform, ulong type, uint count, nint* devices, uint* available);
    [LibraryImport(Lib)] public static partial int clGetDeviceInfo(nint device, uint name, nuint size, void* value, nuint* sizeReturned);

    [LibraryImport(Lib)] public static partial nint clCreateContext(nint* properties, uint deviceCount, nint* devices, nint notify, void* userData, int* error);
    [LibraryImport(Lib)] public static partial int clReleaseContext(nint context);
    [LibraryImport(Lib)] public static partial nint clCreateCommandQueue(nint context, nint device, ulong properties, int* error);
    [LibraryImport(Lib)] public static partial int clReleaseCommandQueue(nint queue);
    [LibraryImport(Lib)] public static partial int clFinish(nint queue);
    [LibraryImport(Lib)] public static partial int clFlush(nint queue);
    [LibraryImport(Lib)] public static partial int clGetEventInfo(nint evt, uint name, nuint size, void* value, nuint* sizeReturned);
    [LibraryImport(Lib)] public static partial int clRetainEvent(nint evt);
    [LibraryImport(Lib)] public static partial int clReleaseEvent(nint evt);

    [LibraryImport(Lib)] public static partial nint clCreateBuffer(nint context, ulong flags, nuint size, void* hostPointer, int* error);
    [LibraryImport(Lib)] public static partial int clReleaseMemObject(nint memory);
    [LibraryImport(Lib)] public static partial int clEnqueueWriteBuffer(nint queue, nint buffer, uint blocking, nuint offset, nuint size, void* source, uint waitCount, nint* waitList, nint* evt);
    [LibraryImport(Lib)] public static partial int clEnqueueReadBuffer(nint queue, nint buffer, uint blocking, nuint offset, nuint size, void* destination, uint waitCount, nint* waitList, nint* evt);
    [LibraryImport(Lib)] public static partial int clEnqueueFillBuffer(nint queue, nint buffer, void* pattern, nuint patternSize, nuint offset, nuint size, uint waitCount, nint* waitList, nint* evt);

    [LibraryImport(Lib)] public static partial nint clCreateProgramWithSource(nint context, uint count, byte** sources, nuint* lengths, int* error);
    [LibraryImport(Lib)] public static partial int clBuildProgram(nint program, uint deviceCount, nint* devices, byte* options, nint notify, void* userData);
    [LibraryImport(Lib)] public static partial int clGetProgramBuildInfo(nint program, nint device, uint name, nuint size, void* value, nuint* sizeReturned);
    [LibraryImport(Lib)] public static partial int clReleaseProgram(nint program);

    [LibraryImport(Lib)] public static partial nint clCreateKernel(nint program, byte* name, int* error);
    [LibraryImport(Lib)] public static partial int clReleaseKernel(nint kernel);
    [LibraryImport(Lib)] public static partial int clGetKernelInfo(nint kernel, uint name, nuint size, void* value, nuint* sizeReturned);
    [LibraryImport(Lib)] public static partial int clGetKernelWorkGroupInfo(nint kernel, nint device, uint name, nuint size, void* value, nuint* sizeReturned);
    [LibraryImport(Lib)] public static partial int clSetKernelArg(nint kernel, uint index, nuint size, void* value);
    [LibraryImport(Lib)] public static partial int clEnqueueNDRangeKernel(nint queue, nint kernel, uint dimensions, nuint* globalOffset, nuint* globalSize, nuint* localSize, uint waitCount, nint* waitList, nint* evt);
}
