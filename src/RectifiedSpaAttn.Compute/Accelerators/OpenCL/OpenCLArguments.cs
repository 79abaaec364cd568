using static RectifiedSpaAttn.Compute.OpenCL.OpenCLApi;

namespace RectifiedSpaAttn.Compute.OpenCL;

/// <summary>
/// Sets kernel arguments per the compiler contract: a buffer is three arguments (<c>__global T* base</c>, <c>ulong</c>
/// offset in elements, <c>ulong</c> length) because a <c>cl_mem</c> cannot be offset on the host; a scalar is one
/// argument of its own size (bool as <c>uint</c>: OpenCL forbids bool arguments; fp16/bf16 as <c>ushort</c>); a kernel
/// using dynamic shared memory ends with <c>__local uchar* dyn_smem</c>, sized at launch.
/// </summary>
internal static unsafe class OpenCLArguments
{
    /// <summary>The arguments the kernel takes for these parameters, not counting <c>dyn_smem</c>.</summary>
    public static int ArgumentCount(IReadOnlyList<KernelParameter> parameters)
        => parameters.Sum(p => p.Kind == KernelParameterKind.Buffer ? 3 : 1);

    public static void Set(OpenCLKernel kernel, KernelVariant variant, ReadOnlySpan<KernelArgument> arguments, int dynamicSharedBytes)
    {
        nint k = kernel.Kernel;
        uint index = 0;
        for (int i = 0; i < arguments.Length; i++)
        {
            KernelArgument a = arguments[i];
            if (a.Kind == KernelParameterKind.Buffer)
            {
                nint memory = a.Handle;
                ulong offset = (ulong)a.Offset, length = (ulong)a.Length;
                Check(clSetKernelArg(k, index++, (nuint)sizeof(nint), &memory), variant, i);
                Check(clSetKernelArg(k, index++, sizeof(ulong), &offset), variant, i);
                Check(clSetKernelArg(k, index++, sizeof(ulong), &length), variant, i);
            }
            else
            {
                ulong bits = a.Type == ScalarType.Bool ? (a.Bits != 0 ? 1UL : 0UL) : a.Bits;
                // Little-endian: the first ParameterSize bytes of the 64-bit slot are the value.
                Check(clSetKernelArg(k, index++, (nuint)ScalarTypeInfo.ParameterSize(a.Type), &bits), variant, i);
            }
        }
        if (kernel.TakesDynamicShared)
        {
            // A __local argument cannot be zero bytes; a kernel that declares dyn_smem but gets none never reads it.
            int bytes = Math.Max(dynamicSharedBytes, 16);
            Check(clSetKernelArg(k, index, (nuint)bytes, null), variant, -1);
        }
    }

    private static void Check(int result, KernelVariant variant, int parameter)
    {
        if (result == CL_SUCCESS) return;
        string what = parameter < 0 ? "dyn_smem" : $"parameter {parameter} ('{variant.Parameters[parameter].Name}')";
        throw OpenCLErrors.Exception(result, "clSetKernelArg", $"{what} of {variant.DisplayName}");
    }
}
