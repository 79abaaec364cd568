using System.Runtime.InteropServices;

namespace RectifiedSpaAttn.Compute;

/// <summary>
/// One launch argument in backend-neutral form: a buffer (handle, element offset and length, as in
/// <see cref="ArrayView{T}"/>) or a scalar's raw bits. Generated launchers build these; accelerators marshal them.
/// </summary>
[StructLayout(LayoutKind.Auto)]
public readonly struct KernelArgument
{
    private KernelArgument(KernelParameterKind kind, ScalarType type, nint handle, long offset, long length, ulong bits)
    {
        Kind = kind;
        Type = type;
        Handle = handle;
        Offset = offset;
        Length = length;
        Bits = bits;
    }

    /// <summary>Buffer or scalar.</summary>
    public KernelParameterKind Kind { get; }
    /// <summary>The scalar type, or the element type of a buffer.</summary>
    public ScalarType Type { get; }
    /// <summary>Buffer handle (device address, <c>cl_mem</c> or host address).</summary>
    public nint Handle { get; }
    /// <summary>Buffer offset in elements.</summary>
    public long Offset { get; }
    /// <summary>Buffer length in elements.</summary>
    public long Length { get; }
    /// <summary>A scalar's bits, zero-extended to 64 bits.</summary>
    public ulong Bits { get; }

    /// <summary>A buffer argument.</summary>
    public static KernelArgument Buffer<T>(ArrayView<T> view, ScalarType elementType) where T : unmanaged
        => new(KernelParameterKind.Buffer, elementType, view.Handle, view.Offset, view.Length, 0);

    /// <summary>A tensor map argument (<see cref="Handle"/> is the address of its 128 bytes).</summary>
    public static KernelArgument TensorMap(TensorMap map)
    {
        ArgumentNullException.ThrowIfNull(map);
        // Typed UInt64 like the parameter the compiler declares; Bits says which accelerator kind encoded it.
        return new(KernelParameterKind.TensorMap, ScalarType.UInt64, map.Address, 0, 0, (ulong)map.Kind);
    }

    /// <summary>A scalar argument from its raw bits.</summary>
    public static KernelArgument Scalar(ScalarType type, ulong bits) => new(KernelParameterKind.Scalar, type, 0, 0, 0, bits);

    /// <summary>An int scalar.</summary>
    public static KernelArgument From(int value) => Scalar(ScalarType.Int32, (uint)value);
    /// <summary>A uint scalar.</summary>
    public static KernelArgument From(uint value) => Scalar(ScalarType.UInt32, value);
    /// <summary>A long scalar.</summary>
    public static KernelArgument From(long value) => Scalar(ScalarType.Int64, (ulong)value);
    /// <summary>A float scalar.</summary>
    public static KernelArgument From(float value) => Scalar(ScalarType.Float32, BitConverter.SingleToUInt32Bits(value));
    /// <summary>A double scalar.</summary>
    public static KernelArgument From(double value) => Scalar(ScalarType.Float64, BitConverter.DoubleToUInt64Bits(value));
    /// <summary>A bool scalar.</summary>
    public static KernelArgument From(bool value) => Scalar(ScalarType.Bool, value ? 1UL : 0UL);

    /// <summary>Reconstructs the view of a buffer argument (CPU backend).</summary>
    public ArrayView<T> AsView<T>() where T : unmanaged => new(Handle, Offset, Length);

    /// <summary>The argument's bits as an int.</summary>
    public int AsInt32() => (int)(uint)Bits;
    /// <summary>The argument's bits as a uint.</summary>
    public uint AsUInt32() => (uint)Bits;
    /// <summary>The argument's bits as a long.</summary>
    public long AsInt64() => (long)Bits;
    /// <summary>The argument's bits as a float.</summary>
    public float AsSingle() => BitConverter.UInt32BitsToSingle((uint)Bits);
    /// <summary>The argument's bits as a double.</summary>
    public double AsDouble() => BitConverter.UInt64BitsToDouble(Bits);
    /// <summary>The argument's bits as a bool.</summary>
    public bool AsBoolean() => Bits != 0;
}
