using System.Text;
using static RectifiedSpaAttn.Compute.OpenCL.OpenCLApi;

namespace RectifiedSpaAttn.Compute.OpenCL;

/// <summary>Typed wrappers over <c>clGetPlatformInfo</c>/<c>clGetDeviceInfo</c>.</summary>
internal static unsafe class OpenCLQuery
{
    public static string PlatformString(nint platform, uint name)
    {
        nuint size;
        OpenCLErrors.Check(clGetPlatformInfo(platform, name, 0, null, &size), "clGetPlatformInfo");
        byte[] bytes = new byte[(int)size];
        fixed (byte* b = bytes)
            OpenCLErrors.Check(clGetPlatformInfo(platform, name, size, b, null), "clGetPlatformInfo");
        return Text(bytes);
    }

    public static string DeviceString(nint device, uint name)
    {
        nuint size;
        OpenCLErrors.Check(clGetDeviceInfo(device, name, 0, null, &size), "clGetDeviceInfo");
        byte[] bytes = new byte[(int)size];
        fixed (byte* b = bytes)
            OpenCLErrors.Check(clGetDeviceInfo(device, name, size, b, null), "clGetDeviceInfo");
        return Text(bytes);
    }

    /// <summary>A fixed-size device property (<c>cl_uint</c>, <c>cl_ulong</c>, <c>size_t</c>, <c>cl_bool</c>, ...).</summary>
    public static T Device<T>(nint device, uint name) where T : unmanaged
    {
        T value = default;
        OpenCLErrors.Check(clGetDeviceInfo(device, name, (nuint)sizeof(T), &value, null), "clGetDeviceInfo", $"parameter 0x{name:X4}");
        return value;
    }

    /// <summary>A fixed-size device property, or null when the device does not know it (vendor extensions).</summary>
    public static T? TryDevice<T>(nint device, uint name) where T : unmanaged
    {
        T value = default;
        return clGetDeviceInfo(device, name, (nuint)sizeof(T), &value, null) == CL_SUCCESS ? value : null;
    }

    /// <summary>CL_DEVICE_MAX_WORK_ITEM_SIZES (one <c>size_t</c> per dimension).</summary>
    public static long[] MaxWorkItemSizes(nint device)
    {
        uint dimensions = Device<uint>(device, CL_DEVICE_MAX_WORK_ITEM_DIMENSIONS);
        var sizes = new nuint[dimensions];
        fixed (nuint* s = sizes)
            OpenCLErrors.Check(clGetDeviceInfo(device, CL_DEVICE_MAX_WORK_ITEM_SIZES, (nuint)(sizes.Length * sizeof(nuint)), s, null), "clGetDeviceInfo");
        return [.. sizes.Select(s => (long)Math.Min((ulong)s, long.MaxValue))];
    }

    private static string Text(byte[] bytes)
    {
        int end = Array.IndexOf(bytes, (byte)0);
        return Encoding.UTF8.GetString(bytes, 0, end < 0 ? bytes.Length : end).Trim();
    }
}
