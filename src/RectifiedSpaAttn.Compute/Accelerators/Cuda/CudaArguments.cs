namespace RectifiedSpaAttn.Compute.Cuda;

/// <summary>
/// Lays out launch arguments for <c>cuLaunchKernel</c> per the compiler contract: a buffer becomes two <c>.u64</c>
/// parameters (the address of the view's first element, then its length in elements); a scalar is one parameter of
/// its own width (bool as <c>.u32</c>); a tensor map is one 128-byte parameter passed from its own memory. Each parameter gets an 8-byte little-endian slot; the driver reads as many
/// bytes as the PTX declares.
/// </summary>
internal static unsafe class CudaArguments
{
    public static int SlotCount(ReadOnlySpan<KernelArgument> arguments)
    {
        int slots = 0;
        foreach (KernelArgument a in arguments) slots += a.Kind == KernelParameterKind.Buffer ? 2 : 1;
        return Math.Max(slots, 1);
    }

    /// <summary>Fills <paramref name="values"/> and points each entry of <paramref name="pointers"/> at its slot.</summary>
    public static void Marshal(ReadOnlySpan<KernelArgument> arguments, ulong* values, void** pointers)
    {
        int slot = 0;
        foreach (KernelArgument a in arguments)
        {
            if (a.Kind == KernelParameterKind.Buffer)
            {
                values[slot] = (ulong)a.Handle + (ulong)(a.Offset * ScalarTypeInfo.ElementSize(a.Type));
                values[slot + 1] = (ulong)a.Length;
                pointers[slot] = &values[slot];
                pointers[slot + 1] = &values[slot + 1];
                slot += 2;
            }
            else if (a.Kind == KernelParameterKind.TensorMap)
            {
                // A .param .align 64 .b8 [128]: the driver copies the 128 bytes the pointer designates.
                pointers[slot] = (void*)a.Handle;
                slot++;
            }
            else
            {
                values[slot] = a.Type == ScalarType.Bool ? (a.Bits != 0 ? 1UL : 0UL) : a.Bits;
                pointers[slot] = &values[slot];
                slot++;
            }
        }
    }
}
