using System.Runtime.InteropServices;
using RectifiedSpaAttn.Compute.Cpu;
using RectifiedSpaAttn.Compute.Cuda;

namespace RectifiedSpaAttn.Compute;

/// <summary>How a <see cref="TensorMap"/> box is laid out in shared memory.</summary>
public enum TensorMapSwizzle
{
    /// <summary>Rows stored one after another (row bytes a multiple of 16).</summary>
    None = 0,
    /// <summary>The 128-byte swizzle (rows of exactly 128 bytes; see <see cref="BulkTensor.Swizzle128"/>), the layout <c>wgmma</c> reads.</summary>
    Bytes128 = 3,
}

/// <summary>
/// A description of a 2D or 3D tensor in an accelerator's global memory and of the box a <see cref="BulkTensor"/> load
/// copies: on CUDA the 128-byte <c>CUtensorMap</c> made by the driver's <c>cuTensorMapEncodeTiled</c> (passed to the
/// kernel by value), on the CPU accelerator an equivalent description its emulation reads. Kernels take it as a
/// parameter of this type. It does not keep the tensor's buffer alive: dispose neither before the last launch using it
/// has finished.
/// </summary>
public sealed unsafe class TensorMap : IDisposable
{
    /// <summary>Bytes of a tensor map, as CUDA defines <c>CUtensorMap</c>.</summary>
    public const int Size = 128;

    private nint _bytes;

    private TensorMap(AcceleratorKind kind, int rank, ScalarType elementType, long[] dims, int[] box, TensorMapSwizzle swizzle)
    {
        Kind = kind; Rank = rank; ElementType = elementType; Dimensions = dims; Box = box; Swizzle = swizzle;
        _bytes = (nint)NativeMemory.AlignedAlloc(Size, 64);
        NativeMemory.Clear((void*)_bytes, Size);
    }

    /// <summary>The accelerator kind the map was made for (a launch elsewhere is refused).</summary>
    public AcceleratorKind Kind { get; }
    /// <summary>2 or 3.</summary>
    public int Rank { get; }
    /// <summary>The element type.</summary>
    public ScalarType ElementType { get; }
    /// <summary>The tensor's extent per dimension, innermost first.</summary>
    public IReadOnlyList<long> Dimensions { get; }
    /// <summary>The box a load copies, innermost first.</summary>
    public IReadOnlyList<int> Box { get; }
    /// <summary>The shared-memory layout of a box.</summary>
    public TensorMapSwizzle Swizzle { get; }
    /// <summary>Bytes one load copies (and completes on its barrier).</summary>
    public int BoxBytes => Box.Aggregate(1, (a, b) => a * b) * ScalarTypeInfo.ElementSize(ElementType);

    /// <summary>The 128 bytes (for launchers).</summary>
    internal nint Address => _bytes != 0 ? _bytes : throw new ObjectDisposedException(nameof(TensorMap));

    /// <summary>
    /// A map of the row-major 2D tensor <paramref name="tensor"/> (<paramref name="height"/> rows of
    /// <paramref name="width"/> elements, row i starting at element <c>i * rowStride</c>) with boxes of
    /// <paramref name="boxWidth"/> x <paramref name="boxHeight"/> elements.
    /// </summary>
    /// <exception cref="ArgumentException">The shape breaks a rule of the copy engine (element size 2 or 4 bytes, strides and
    /// base 16-byte aligned, box sides 1-256, box rows of 128 bytes for the 128-byte swizzle or a multiple of 16 otherwise).</exception>
    /// <exception cref="NotSupportedException">The accelerator has no bulk tensor copies (OpenCL).</exception>
    public static TensorMap Create2D<T>(Accelerator accelerator, ArrayView<T> tensor, long width, long height, long rowStride,
        int boxWidth, int boxHeight, TensorMapSwizzle swizzle = TensorMapSwizzle.Bytes128) where T : unmanaged
        => Create(accelerator, tensor, new[] { width, height }, new[] { rowStride }, new[] { boxWidth, boxHeight }, swizzle);

    /// <summary>A map of a 3D tensor: element (x, y, z) at <c>x + y * rowStride + z * sliceStride</c>; boxes of <paramref name="boxWidth"/> x <paramref name="boxHeight"/> x <paramref name="boxDepth"/>. Rules as <see cref="Create2D{T}"/>.</summary>
    public static TensorMap Create3D<T>(Accelerator accelerator, ArrayView<T> tensor, long width, long height, long depth, long rowStride, long sliceStride,
        int boxWidth, int boxHeight, int boxDepth, TensorMapSwizzle swizzle = TensorMapSwizzle.Bytes128) where T : unmanaged
        => Create(accelerator, tensor, new[] { width, height, depth }, new[] { rowStride, sliceStride }, new[] { boxWidth, boxHeight, boxDepth }, swizzle);

    private static TensorMap Create<T>(Accelerator accelerator, ArrayView<T> tensor, long[] dims, long[] strides, int[] box, TensorMapSwizzle swizzle)
        where T : unmanaged
    {
        ArgumentNullException.ThrowIfNull(accelerator);
        ScalarType type = ElementTypeOf<T>();
        int size = sizeof(T);
        for (int d = 0; d < dims.Length; d++)
        {
            if (dims[d] < 1 || dims[d] > (1L << 32)) throw new ArgumentException($"Tensor dimension {d} is {dims[d]}; it must be 1 to 2^32.", nameof(tensor));
            if (box[d] < 1 || box[d] > 256) throw new ArgumentException($"Box side {d} is {box[d]}; it must be 1 to 256.", nameof(tensor));
        }
        long previous = dims[0];
        for (int d = 0; d < strides.Length; d++)
        {
            if (strides[d] * size % 16 != 0 || strides[d] < previous)
                throw new ArgumentException($"Stride {d + 1} is {strides[d]} elements; it must be at least {previous} and a multiple of 16 bytes.", nameof(tensor));
            previous = strides[d] * dims[d + 1];
        }
        int rowBytes = box[0] * size;
        if (swizzle == TensorMapSwizzle.Bytes128 ? rowBytes != 128 : rowBytes % 16 != 0)
            throw new ArgumentException($"A box row is {rowBytes} bytes; the {swizzle} layout needs {(swizzle == TensorMapSwizzle.Bytes128 ? "exactly 128" : "a multiple of 16")}.", nameof(tensor));
        long needed = strides[^1] * (dims[^1] - 1) + (strides.Length > 1 ? strides[^2] * (dims[^2] - 1) : 0) + dims[0];
        if (needed > tensor.Length) throw new ArgumentException($"The tensor needs {needed} elements; the view has {tensor.Length}.", nameof(tensor));
        var map = new TensorMap(accelerator.Kind, dims.Length, type, dims, box, swizzle);
        try
        {
            nint start = tensor.Handle + (nint)(tensor.Offset * size);
            if (start % 16 != 0) throw new ArgumentException("The tensor's first element is not 16-byte aligned.", nameof(tensor));
            switch (accelerator)
            {
                case CudaAccelerator cuda: cuda.EncodeTensorMap(map._bytes, type, start, dims, strides.Select(s => s * size).ToArray(), box, swizzle); break;
                case CpuAccelerator: Emulation.CpuTensorMap.Encode(map._bytes, start, tensor.LengthInBytes, size, dims, strides.Select(s => s * size).ToArray(), box, swizzle); break;
                default: throw new NotSupportedException($"{accelerator.Name} ({accelerator.Kind}) has no bulk tensor copy engine: tensor maps exist on CUDA devices of compute capability 9.0 and on the CPU accelerator.");
            }
        }
        catch
        {
            map.Dispose();
            throw;
        }
        return map;
    }

    private static ScalarType ElementTypeOf<T>() where T : unmanaged => typeof(T) switch
    {
        var t when t == typeof(Numerics.BFloat16) => ScalarType.BFloat16,
        var t when t == typeof(Half) => ScalarType.Float16,
        var t when t == typeof(float) => ScalarType.Float32,
        var t when t == typeof(int) => ScalarType.Int32,
        var t when t == typeof(uint) => ScalarType.UInt32,
        var t when t == typeof(ushort) => ScalarType.UInt16,
        _ => throw new ArgumentException($"Tensor maps hold 2- or 4-byte elements (bf16, fp16, float, int, uint, ushort), not {typeof(T).Name}."),
    };

    /// <inheritdoc/>
    public void Dispose()
    {
        if (_bytes != 0) NativeMemory.AlignedFree((void*)_bytes);
        _bytes = 0;
        GC.SuppressFinalize(this);
    }

    /// <summary>Frees the 128 bytes.</summary>
    ~TensorMap()
    {
        if (_bytes != 0) NativeMemory.AlignedFree((void*)_bytes);
    }
}
