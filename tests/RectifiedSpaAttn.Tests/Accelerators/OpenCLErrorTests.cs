using RectifiedSpaAttn.Compute;
using RectifiedSpaAttn.Compute.OpenCL;

namespace RectifiedSpaAttn.Tests.Accelerators;

/// <summary>OpenCL error messages: the specification's name and code, the call, and a hint where the name misleads.</summary>
public sealed class OpenCLErrorTests
{
    [Fact]
    public void OutOfResourcesPointsAtAnEarlierKernelFault()
    {
        AcceleratorException e = OpenCLErrors.Exception(-5, "clEnqueueReadBuffer");
        Assert.Equal(("CL_OUT_OF_RESOURCES", -5, "clEnqueueReadBuffer"), (e.ErrorName, e.ErrorCode, e.Operation));
        Assert.StartsWith("CL_OUT_OF_RESOURCES (-5) in clEnqueueReadBuffer. ", e.Message);
        Assert.Contains("EARLIER kernel", e.Message);
    }

    [Fact]
    public void InvalidQueueSaysTheContextIsLost()
    {
        AcceleratorException e = OpenCLErrors.Exception(-36, "clEnqueueNDRangeKernel", "saxpy");
        Assert.StartsWith("CL_INVALID_COMMAND_QUEUE (-36) in clEnqueueNDRangeKernel: saxpy. ", e.Message);
        Assert.Contains("find the first error", e.Message);
    }

    [Fact]
    public void OtherErrorsCarryNoHint()
    {
        Assert.Equal("CL_INVALID_KERNEL_NAME (-46) in clCreateKernel: x", OpenCLErrors.Exception(-46, "clCreateKernel", "x").Message);
    }
}
