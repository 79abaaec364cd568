using System.Runtime.InteropServices;

namespace RectifiedSpaAttn.Compute.Cuda;

/// <summary>Encodes <see cref="TensorMap"/>s for CUDA through the driver's <c>cuTensorMapEncodeTiled</c>.</summary>
internal static unsafe partial class CudaTensorMaps
{
    // CUtensorMapDataType values used here.
    private const int DataTypeUInt16 = 1, DataTypeUInt32 = 2, DataTypeInt32 = 3, DataTypeFloat16 = 6, DataTypeFloat32 = 7, DataTypeBFloat16 = 9;

    static CudaTensorMaps() => NativeLibraries.EnsureRegistered();

    /// <summary>Writes the 128-byte <c>CUtensorMap</c> of a tiled tensor to <paramref name="destination"/> (64-byte aligned).</summary>
    /// <param name="destination">The map's memory.</param>
    /// <param name="type">The element type.</param>
    /// <param name="start">Device address of the tensor's first element.</param>
    /// <param name="dims">Extent per dimension, innermost first.</param>
    /// <param name="strideBytes">Byte stride of each dimension but the innermost.</param>
    /// <param name="box">Box side per dimension.</param>
    /// <param name="swizzle">Shared-memory layout.</param>
    public static void Encode(nint destination, ScalarType type, nint start, long[] dims, long[] strideBytes, int[] box, TensorMapSwizzle swizzle)
    {
        int dataType = type switch
        {
            ScalarType.BFloat16 => DataTypeBFloat16,
            ScalarType.Float16 => DataTypeFloat16,
            ScalarType.Float32 => DataTypeFloat32,
            ScalarType.Int32 => DataTypeInt32,
            ScalarType.UInt32 => DataTypeUInt32,
            ScalarType.UInt16 => DataTypeUInt16,
            _ => throw new ArgumentException($"Tensor maps do not hold {type}."),
        };
        int rank = dims.Length;
        ulong* globalDim = stackalloc ulong[rank];
        ulong* globalStrides = stackalloc ulong[rank - 1];
        uint* boxDim = stackalloc uint[rank];
        uint* elementStrides = stackalloc uint[rank];
        for (int d = 0; d < rank; d++)
        {
            globalDim[d] = (ulong)dims[d];
            boxDim[d] = (uint)box[d];
            elementStrides[d] = 1;
            if (d < rank - 1) globalStrides[d] = (ulong)strideBytes[d];
        }
        // Interleave none (0); L2 promotion of 128 bytes (2): the box rows are 128 bytes; out-of-bounds elements read as zeros (0).
        int result = cuTensorMapEncodeTiled((void*)destination, dataType, (uint)rank, (void*)start, globalDim, globalStrides, boxDim, elementStrides,
            0, (int)swizzle, 2, 0);
        CudaErrors.Check(result, "cuTensorMapEncodeTiled",
            $"rank {rank}, dims [{string.Join(", ", dims)}], strides [{string.Join(", ", strideBytes)}] bytes, box [{string.Join(", ", box)}], {swizzle}");
    }

    [LibraryImport(NativeLibraries.Cuda)]
    private static partial int cuTensorMapEncodeTiled(void* tensorMap, int dataType, uint rank, void* globalAddress, ulong* globalDim,
        ulong* globalStrides, uint* boxDim, uint* elementStrides, int interleave, int swizzle, int l2Promotion, int oobFill);
}
