using System.Runtime.InteropServices;

namespace RectifiedSpaAttn.Compute.Cuda;

/// <summary>Turns <c>CUresult</c> codes into <see cref="AcceleratorException"/>s that name the error and the call.</summary>
internal static unsafe class CudaErrors
{
    /// <summary>Throws when <paramref name="result"/> is not <c>CUDA_SUCCESS</c>.</summary>
    /// <param name="result">The call's return value.</param>
    /// <param name="call">The driver function, e.g. <c>cuMemAlloc_v2</c>.</param>
    /// <param name="detail">Appended after a colon (a JIT log, the variant's name); the driver's description of the error when null.</param>
    public static void Check(int result, string call, string? detail = null)
    {
        if (result != 0) throw Exception(result, call, detail);
    }

    public static AcceleratorException Exception(int result, string call, string? detail = null)
    {
        string name = Name(result);
        string message = $"{name} ({result}) in {call}";
        // The caller's detail (a JIT log, the kernel's name) says more than the driver's generic sentence.
        string? explanation = string.IsNullOrWhiteSpace(detail) ? Description(result) : detail;
        if (!string.IsNullOrWhiteSpace(explanation)) message += ": " + explanation;
        return new AcceleratorException(message, name, result, call);
    }

    /// <summary>The driver's name for a result, e.g. <c>CUDA_ERROR_INVALID_PTX</c>.</summary>
    public static string Name(int result)
    {
        byte* text = null;
        try
        {
            if (CudaApi.cuGetErrorName(result, &text) == 0 && text != null)
                return Marshal.PtrToStringUTF8((nint)text) ?? "CUDA_ERROR_UNKNOWN";
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
        }
        return "CUDA_ERROR_UNKNOWN";
    }

    /// <summary>Readable text for a result (e.g. "a PTX JIT compilation failed"), or null.</summary>
    public static string? Description(int result)
    {
        byte* text = null;
        try
        {
            if (CudaApi.cuGetErrorString(result, &text) == 0 && text != null)
                return Marshal.PtrToStringUTF8((nint)text);
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
        }
        return null;
    }
}
