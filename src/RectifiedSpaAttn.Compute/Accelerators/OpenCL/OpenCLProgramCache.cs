using System.Text;
using static RectifiedSpaAttn.Compute.OpenCL.OpenCLApi;

namespace RectifiedSpaAttn.Compute.OpenCL;

/// <summary>
/// Builds each variant's OpenCL C program on first use for one device and keeps it (and its kernel) until the
/// accelerator is disposed. Keyed by the variant object, which is unique per specialisation.
/// </summary>
internal sealed unsafe class OpenCLProgramCache(nint context, nint device)
{
    /// <summary>
    /// The options every program is built with. The contract targets OpenCL C 1.2, which pocl and NVIDIA's OpenCL both
    /// compile. OpenCL C allows float division 2.5 ulp of error and sqrt 3 ulp, where C#, the CPU backend and PTX
    /// (<c>div.rn</c>, <c>sqrt.rn</c>) round correctly; where the device can, it is asked to round them correctly too.
    /// </summary>
    public string BuildOptions { get; } = OptionsFor(device);

    internal static string OptionsFor(nint device)
    {
        ulong config = OpenCLQuery.Device<ulong>(device, CL_DEVICE_SINGLE_FP_CONFIG);
        return (config & CL_FP_CORRECTLY_ROUNDED_DIVIDE_SQRT) != 0 ? "-cl-std=CL1.2 -cl-fp32-correctly-rounded-divide-sqrt" : "-cl-std=CL1.2";
    }

    private readonly Dictionary<KernelVariant, OpenCLKernel> _kernels = new(ReferenceEqualityComparer.Instance);

    public OpenCLKernel Get(KernelVariant variant)
    {
        lock (_kernels)
        {
            if (!_kernels.TryGetValue(variant, out OpenCLKernel? kernel))
            {
                kernel = Build(variant);
                _kernels.Add(variant, kernel);
            }
            return kernel;
        }
    }

    /// <summary>Releases every kernel and program (errors ignored: the context is going away).</summary>
    public void Clear()
    {
        lock (_kernels)
        {
            foreach (OpenCLKernel kernel in _kernels.Values)
            {
                clReleaseKernel(kernel.Kernel);
                clReleaseProgram(kernel.Program);
            }
            _kernels.Clear();
        }
    }

    private OpenCLKernel Build(KernelVariant variant)
    {
        nint program = CreateProgram(variant);
        try
        {
            BuildProgram(program, variant);
            nint kernel = CreateKernel(program, variant);
            try
            {
                return Describe(program, kernel, variant);
            }
            catch
            {
                clReleaseKernel(kernel);
                throw;
            }
        }
        catch
        {
            clReleaseProgram(program);
            throw;
        }
    }

    private nint CreateProgram(KernelVariant variant)
    {
        byte[] source = Encoding.UTF8.GetBytes(variant.OpenCL);
        int error;
        nint program;
        fixed (byte* s = source)
        {
            byte* sources = s;
            nuint length = (nuint)source.Length;
            program = clCreateProgramWithSource(context, 1, &sources, &length, &error);
        }
        OpenCLErrors.Check(error, "clCreateProgramWithSource", variant.DisplayName);
        return program;
    }

    private void BuildProgram(nint program, KernelVariant variant)
    {
        byte[] options = Encoding.ASCII.GetBytes(BuildOptions + "\0");
        nint d = device;
        int result;
        fixed (byte* o = options)
            result = clBuildProgram(program, 1, &d, o, 0, null);
        if (result != CL_SUCCESS)
        {
            string log = BuildLog(program);
            throw OpenCLErrors.Exception(result, "clBuildProgram",
                (log.Length > 0 ? log : "the compiler gave no log") + $"\n(building the OpenCL C of {variant.DisplayName}, entry {variant.EntryPoint})");
        }
    }

    private string BuildLog(nint program)
    {
        nuint size;
        if (clGetProgramBuildInfo(program, device, CL_PROGRAM_BUILD_LOG, 0, null, &size) != CL_SUCCESS || size == 0) return "";
        byte[] bytes = new byte[(int)size];
        fixed (byte* b = bytes)
        {
            if (clGetProgramBuildInfo(program, device, CL_PROGRAM_BUILD_LOG, size, b, null) != CL_SUCCESS) return "";
        }
        int end = Array.IndexOf(bytes, (byte)0);
        return Encoding.UTF8.GetString(bytes, 0, end < 0 ? bytes.Length : end).Trim();
    }

    private static nint CreateKernel(nint program, KernelVariant variant)
    {
        byte[] name = Encoding.UTF8.GetBytes(variant.EntryPoint + "\0");
        int error;
        nint kernel;
        fixed (byte* n = name)
            kernel = clCreateKernel(program, n, &error);
        OpenCLErrors.Check(error, "clCreateKernel", $"entry point '{variant.EntryPoint}' of {variant.DisplayName}");
        return kernel;
    }

    /// <summary>
    /// Checks the kernel's argument count against the contract (3 per buffer, 1 per scalar) and learns from it whether
    /// the trailing <c>dyn_smem</c> argument is there; the driver's count is more reliable than reading the source.
    /// </summary>
    private OpenCLKernel Describe(nint program, nint kernel, KernelVariant variant)
    {
        uint argumentCount;
        OpenCLErrors.Check(clGetKernelInfo(kernel, CL_KERNEL_NUM_ARGS, sizeof(uint), &argumentCount, null), "clGetKernelInfo", variant.DisplayName);
        int expected = OpenCLArguments.ArgumentCount(variant.Parameters);
        if (argumentCount != expected && argumentCount != expected + 1)
            throw new AcceleratorException(
                $"The OpenCL kernel '{variant.EntryPoint}' of {variant.DisplayName} takes {argumentCount} arguments, but its {variant.Parameters.Count} parameters need {expected} " +
                "(3 per buffer: base, offset, length; 1 per scalar), plus 1 when it uses dynamic shared memory.");
        nuint groupSize;
        ulong localBytes;
        nint d = device;
        OpenCLErrors.Check(clGetKernelWorkGroupInfo(kernel, d, CL_KERNEL_WORK_GROUP_SIZE, (nuint)sizeof(nuint), &groupSize, null), "clGetKernelWorkGroupInfo", variant.DisplayName);
        OpenCLErrors.Check(clGetKernelWorkGroupInfo(kernel, d, CL_KERNEL_LOCAL_MEM_SIZE, sizeof(ulong), &localBytes, null), "clGetKernelWorkGroupInfo", variant.DisplayName);
        return new OpenCLKernel(program, kernel, argumentCount == expected + 1, (int)Math.Min(groupSize, int.MaxValue), (long)localBytes);
    }
}
