using RectifiedSpaAttn.Compute;
using RectifiedSpaAttn.Compute.OpenCL;

namespace RectifiedSpaAttn.Tests.Accelerators;

/// <summary>What is specific to OpenCL: device description, build errors with the compiler's log, contract checks.</summary>
public sealed class OpenCLAcceleratorTests(ITestOutputHelper output)
{
    [Fact]
    public void DescribesTheDevice()
    {
        OpenCLAccelerator? cl = OpenCLTestDevice.RequireOrSkipOutsideCI(output);
        if (cl is null) return;
        output.WriteLine(cl.Info.ToString());
        Assert.Equal(AcceleratorKind.OpenCL, cl.Kind);
        Assert.StartsWith("OpenCL ", cl.OpenCLVersion);
        Assert.False(string.IsNullOrWhiteSpace(cl.PlatformName));
        Assert.False(string.IsNullOrWhiteSpace(cl.Name));
        Assert.True(cl.MaxGroupSize >= 1 && cl.MaxSharedMemoryPerGroup >= 16 * 1024 && cl.MemoryBytes > 0);
        Assert.True(cl.WarpSize >= 1);
        Assert.Null(cl.ComputeCapability);
    }

    [Fact]
    public void BuildErrorsCarryTheCompilerLog()
    {
        OpenCLAccelerator? cl = OpenCLTestDevice.RequireOrSkipOutsideCI(output);
        if (cl is null) return;
        using DeviceBuffer<float> x = cl.Allocate<float>(4);
        var error = Assert.Throws<AcceleratorException>(() => cl.Launch(TestKernels.Broken, new LaunchDimensions(1, 1), [KernelArgument.Buffer(x.View, ScalarType.Float32)]));
        output.WriteLine(error.Message);
        Assert.StartsWith("CL_BUILD_PROGRAM_FAILURE (-11) in clBuildProgram: ", error.Message);
        Assert.Contains("undeclared_identifier_42", error.Message);
        Assert.Contains("TestKernels.Broken", error.Message);
        Assert.Equal(("CL_BUILD_PROGRAM_FAILURE", -11, "clBuildProgram"), (error.ErrorName, error.ErrorCode, error.Operation));

        // A failed build is not cached as a success: it fails the same way again.
        Assert.Throws<AcceleratorException>(() => cl.Launch(TestKernels.Broken, new LaunchDimensions(1, 1), [KernelArgument.Buffer(x.View, ScalarType.Float32)]));
    }

    [Fact]
    public void AMissingEntryPointIsNamed()
    {
        OpenCLAccelerator? cl = OpenCLTestDevice.RequireOrSkipOutsideCI(output);
        if (cl is null) return;
        using DeviceBuffer<float> x = cl.Allocate<float>(4);
        var error = Assert.Throws<AcceleratorException>(() => cl.Launch(TestKernels.MissingEntry, new LaunchDimensions(1, 1), [KernelArgument.Buffer(x.View, ScalarType.Float32)]));
        Assert.Contains("CL_INVALID_KERNEL_NAME (-46) in clCreateKernel", error.Message);
        Assert.Contains("'not_there'", error.Message);
    }

    [Fact]
    public void KernelsThatBreakTheParameterContractAreRejected()
    {
        OpenCLAccelerator? cl = OpenCLTestDevice.RequireOrSkipOutsideCI(output);
        if (cl is null) return;
        using DeviceBuffer<float> x = cl.Allocate<float>(4);
        // Poisoned first: fresh device memory can hold anything, 1f included (NVIDIA's OpenCL reuses freed buffers).
        x.Fill(-7f);
        var error = Assert.Throws<AcceleratorException>(() => cl.Launch(TestKernels.WrongArity, new LaunchDimensions(1, 1), [KernelArgument.Buffer(x.View, ScalarType.Float32)]));
        Assert.Contains("takes 1 arguments", error.Message);
        Assert.Contains("need 3", error.Message);
        // Refused before it ran: the buffer is untouched.
        Assert.All(x.ToArray(), v => Assert.Equal(-7f, v));
    }

    [Fact]
    public void VariantsMarkedUnsupportedAreRefusedWithTheReason()
    {
        OpenCLAccelerator? cl = OpenCLTestDevice.RequireOrSkipOutsideCI(output);
        if (cl is null) return;
        using DeviceBuffer<float> x = cl.Allocate<float>(4);
        var error = Assert.Throws<NotSupportedException>(() => cl.Launch(TestKernels.OpenCLUnsupported, new LaunchDimensions(1, 1), [KernelArgument.Buffer(x.View, ScalarType.Float32)]));
        Assert.Contains(TestKernels.UnsupportedReason, error.Message);
        Assert.Contains("TestKernels.TensorCoreOnly", error.Message);
    }

    [Fact]
    public void GroupsLargerThanTheDeviceAllowsPerAxisAreRejected()
    {
        OpenCLAccelerator? cl = OpenCLTestDevice.RequireOrSkipOutsideCI(output);
        if (cl is null) return;
        using DeviceBuffer<float> x = cl.Allocate<float>(4);
        KernelArgument xs = KernelArgument.Buffer(x.View, ScalarType.Float32);
        // z is the axis with the smallest limit on most devices (64 on NVIDIA); past the total it fails either way.
        Assert.Throws<ArgumentException>(() => cl.Launch(TestKernels.Saxpy, new LaunchDimensions(1, new Dim3(1, 1, cl.MaxGroupSize + 1)), [xs, xs, KernelArgument.From(1f)]));
    }

    [Fact]
    public void ProgramsAskForCorrectlyRoundedDivisionWhereTheDeviceHasIt()
    {
        OpenCLAccelerator? cl = OpenCLTestDevice.RequireOrSkipOutsideCI(output);
        if (cl is null) return;
        ulong config = OpenCLQuery.Device<ulong>(cl.Info.DeviceHandle, OpenCLApi.CL_DEVICE_SINGLE_FP_CONFIG);
        bool capable = (config & OpenCLApi.CL_FP_CORRECTLY_ROUNDED_DIVIDE_SQRT) != 0;
        output.WriteLine($"{cl.Name}: build options '{cl.BuildOptions}', correctly rounded divide/sqrt {(capable ? "supported" : "not supported")}");
        Assert.StartsWith("-cl-std=CL1.2", cl.BuildOptions);
        Assert.Equal(capable, cl.BuildOptions.Contains("-cl-fp32-correctly-rounded-divide-sqrt"));
        // A program built with these options runs.
        using DeviceBuffer<float> x = cl.Allocate<float>(4);
        x.Fill(1f);
        cl.Launch(TestKernels.Saxpy, new LaunchDimensions(1, 4), [KernelArgument.Buffer(x.View, ScalarType.Float32), KernelArgument.Buffer(x.View, ScalarType.Float32), KernelArgument.From(1f)]);
        Assert.All(x.ToArray(), v => Assert.Equal(2f, v));
    }
}
