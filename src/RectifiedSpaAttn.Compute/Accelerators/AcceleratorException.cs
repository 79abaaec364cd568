namespace RectifiedSpaAttn.Compute;

/// <summary>
/// A driver call failed. The message names the driver's error, its code and the call, e.g.
/// <c>CUDA_ERROR_INVALID_PTX (218) in cuModuleLoadDataEx: &lt;JIT log&gt;</c> or
/// <c>CL_BUILD_PROGRAM_FAILURE (-11) in clBuildProgram: &lt;build log&gt;</c>.
/// </summary>
public class AcceleratorException : Exception
{
    /// <summary>Creates an exception with a default message.</summary>
    public AcceleratorException() : base("An accelerator operation failed.") { }

    /// <summary>Creates an exception with <paramref name="message"/>.</summary>
    /// <param name="message">What failed.</param>
    public AcceleratorException(string message) : base(message) { }

    /// <summary>Creates an exception with <paramref name="message"/> caused by <paramref name="innerException"/>.</summary>
    /// <param name="message">What failed.</param>
    /// <param name="innerException">The cause.</param>
    public AcceleratorException(string message, Exception innerException) : base(message, innerException) { }

    /// <summary>Creates an exception for a failed driver call.</summary>
    /// <param name="message">The full message.</param>
    /// <param name="errorName">The driver's name for the error, e.g. <c>CUDA_ERROR_OUT_OF_MEMORY</c>.</param>
    /// <param name="errorCode">The driver's numeric error code.</param>
    /// <param name="operation">The driver call that failed, e.g. <c>cuMemAlloc_v2</c>.</param>
    public AcceleratorException(string message, string errorName, int errorCode, string operation) : base(message)
    {
        ErrorName = errorName;
        ErrorCode = errorCode;
        Operation = operation;
    }

    /// <summary>The driver's name for the error, when a driver call failed.</summary>
    public string? ErrorName { get; }

    /// <summary>The driver's numeric error code, when a driver call failed (0 otherwise).</summary>
    public int ErrorCode { get; }

    /// <summary>The driver call that failed, when one did.</summary>
    public string? Operation { get; }
}
