namespace RectifiedSpaAttn.Compute.OpenCL;

/// <summary>Turns OpenCL error codes into <see cref="AcceleratorException"/>s that name the CL_* error and the call.</summary>
internal static class OpenCLErrors
{
    /// <summary>Throws when <paramref name="result"/> is not <c>CL_SUCCESS</c>.</summary>
    /// <param name="result">The call's status.</param>
    /// <param name="call">The OpenCL function, e.g. <c>clBuildProgram</c>.</param>
    /// <param name="detail">Appended after a colon (a build log, the variant's name).</param>
    public static void Check(int result, string call, string? detail = null)
    {
        if (result != 0) throw Exception(result, call, detail);
    }

    public static AcceleratorException Exception(int result, string call, string? detail = null)
    {
        string name = Name(result);
        string message = $"{name} ({result}) in {call}";
        if (!string.IsNullOrWhiteSpace(detail)) message += ": " + detail;
        if (Hint(result) is { } hint) message += ". " + hint;
        return new AcceleratorException(message, name, result, call);
    }

    /// <summary>
    /// What an error usually means where the specification's name misleads. NVIDIA's OpenCL reports a kernel that
    /// faulted (an access out of bounds, say) as CL_OUT_OF_RESOURCES at the next blocking call, which may belong to a
    /// later launch or copy, and the context is then unusable: every later call fails with CL_INVALID_COMMAND_QUEUE.
    /// </summary>
    private static string? Hint(int result) => result switch
    {
        -5 => "At a launch this can mean the group is too large for the kernel's registers or local memory; at a blocking call " +
              "(copy, fill, finish) NVIDIA's OpenCL also reports a fault of an EARLIER kernel this way, and the context is then lost",
        -36 => "On NVIDIA's OpenCL this follows a kernel fault reported earlier (often as CL_OUT_OF_RESOURCES): the context is lost; " +
               "find the first error",
        _ => null,
    };

    /// <summary>The specification's name for an error code (from <c>cl.h</c> and <c>cl_ext.h</c>).</summary>
    public static string Name(int result) => result switch
    {
        0 => "CL_SUCCESS",
        -1 => "CL_DEVICE_NOT_FOUND",
        -2 => "CL_DEVICE_NOT_AVAILABLE",
        -3 => "CL_COMPILER_NOT_AVAILABLE",
        -4 => "CL_MEM_OBJECT_ALLOCATION_FAILURE",
        -5 => "CL_OUT_OF_RESOURCES",
        -6 => "CL_OUT_OF_HOST_MEMORY",
        -7 => "CL_PROFILING_INFO_NOT_AVAILABLE",
        -8 => "CL_MEM_COPY_OVERLAP",
        -9 => "CL_IMAGE_FORMAT_MISMATCH",
        -10 => "CL_IMAGE_FORMAT_NOT_SUPPORTED",
        -11 => "CL_BUILD_PROGRAM_FAILURE",
        -12 => "CL_MAP_FAILURE",
        -13 => "CL_MISALIGNED_SUB_BUFFER_OFFSET",
        -14 => "CL_EXEC_STATUS_ERROR_FOR_EVENTS_IN_WAIT_LIST",
        -15 => "CL_COMPILE_PROGRAM_FAILURE",
        -16 => "CL_LINKER_NOT_AVAILABLE",
        -17 => "CL_LINK_PROGRAM_FAILURE",
        -18 => "CL_DEVICE_PARTITION_FAILED",
        -19 => "CL_KERNEL_ARG_INFO_NOT_AVAILABLE",
        -30 => "CL_INVALID_VALUE",
        -31 => "CL_INVALID_DEVICE_TYPE",
        -32 => "CL_INVALID_PLATFORM",
        -33 => "CL_INVALID_DEVICE",
        -34 => "CL_INVALID_CONTEXT",
        -35 => "CL_INVALID_QUEUE_PROPERTIES",
        -36 => "CL_INVALID_COMMAND_QUEUE",
        -37 => "CL_INVALID_HOST_PTR",
        -38 => "CL_INVALID_MEM_OBJECT",
        -39 => "CL_INVALID_IMAGE_FORMAT_DESCRIPTOR",
        -40 => "CL_INVALID_IMAGE_SIZE",
        -41 => "CL_INVALID_SAMPLER",
        -42 => "CL_INVALID_BINARY",
        -43 => "CL_INVALID_BUILD_OPTIONS",
        -44 => "CL_INVALID_PROGRAM",
        -45 => "CL_INVALID_PROGRAM_EXECUTABLE",
        -46 => "CL_INVALID_KERNEL_NAME",
        -47 => "CL_INVALID_KERNEL_DEFINITION",
        -48 => "CL_INVALID_KERNEL",
        -49 => "CL_INVALID_ARG_INDEX",
        -50 => "CL_INVALID_ARG_VALUE",
        -51 => "CL_INVALID_ARG_SIZE",
        -52 => "CL_INVALID_KERNEL_ARGS",
        -53 => "CL_INVALID_WORK_DIMENSION",
        -54 => "CL_INVALID_WORK_GROUP_SIZE",
        -55 => "CL_INVALID_WORK_ITEM_SIZE",
        -56 => "CL_INVALID_GLOBAL_OFFSET",
        -57 => "CL_INVALID_EVENT_WAIT_LIST",
        -58 => "CL_INVALID_EVENT",
        -59 => "CL_INVALID_OPERATION",
        -60 => "CL_INVALID_GL_OBJECT",
        -61 => "CL_INVALID_BUFFER_SIZE",
        -62 => "CL_INVALID_MIP_LEVEL",
        -63 => "CL_INVALID_GLOBAL_WORK_SIZE",
        -64 => "CL_INVALID_PROPERTY",
        -65 => "CL_INVALID_IMAGE_DESCRIPTOR",
        -66 => "CL_INVALID_COMPILER_OPTIONS",
        -67 => "CL_INVALID_LINKER_OPTIONS",
        -68 => "CL_INVALID_DEVICE_PARTITION_COUNT",
        -69 => "CL_INVALID_PIPE_SIZE",
        -70 => "CL_INVALID_DEVICE_QUEUE",
        -71 => "CL_INVALID_SPEC_ID",
        -72 => "CL_MAX_SIZE_RESTRICTION_EXCEEDED",
        -1001 => "CL_PLATFORM_NOT_FOUND_KHR",
        _ => "CL_UNKNOWN_ERROR",
    };
}
