using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using RectifiedSpaAttn.Numerics;

namespace RectifiedSpaAttn.Kernels.CpuNative;

/// <summary>
/// Moves rows between the element type of the tensors (<see cref="float"/>, <see cref="Half"/>, <see cref="BFloat16"/>)
/// and the fp32 tiles the micro-kernels work on: widening on load (exact), rounding to nearest even on store.
/// The <c>typeof(T)</c> tests are constants to the JIT, so each instantiation keeps only its own branch.
/// </summary>
internal static unsafe class ElementRows
{
    /// <summary>Whether <typeparamref name="T"/> is one of the supported element types.</summary>
    public static bool IsSupported<T>() where T : unmanaged
        => typeof(T) == typeof(float) || typeof(T) == typeof(Half) || typeof(T) == typeof(BFloat16);

    /// <summary>Widens <paramref name="count"/> elements at <paramref name="source"/> to floats at <paramref name="destination"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Load<T>(T* source, float* destination, int count) where T : unmanaged
    {
        if (typeof(T) == typeof(float))
            Buffer.MemoryCopy(source, destination, count * sizeof(float), count * sizeof(float));
        else if (typeof(T) == typeof(Half))
            TensorPrimitives.ConvertToSingle(new ReadOnlySpan<Half>(source, count), new Span<float>(destination, count));
        else
            LoadBFloat16((ushort*)source, destination, count);
    }

    /// <summary>Rounds <paramref name="count"/> floats at <paramref name="source"/> to elements at <paramref name="destination"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store<T>(float* source, T* destination, int count) where T : unmanaged
    {
        if (typeof(T) == typeof(float))
            Buffer.MemoryCopy(source, destination, count * sizeof(float), count * sizeof(float));
        else if (typeof(T) == typeof(Half))
            TensorPrimitives.ConvertToHalf(new ReadOnlySpan<float>(source, count), new Span<Half>(destination, count));
        else
        {
            ushort* bits = (ushort*)destination;
            for (int i = 0; i < count; i++) bits[i] = BFloat16.RoundToBits(BitConverter.SingleToUInt32Bits(source[i]));
        }
    }

    /// <summary>bfloat16 is the top half of a float: widen each 16-bit pattern and shift it up; eight at a time.</summary>
    private static void LoadBFloat16(ushort* source, float* destination, int count)
    {
        int i = 0;
        if (Vector128.IsHardwareAccelerated)
        {
            for (; i + 8 <= count; i += 8)
            {
                Vector128<ushort> bits = Vector128.Load(source + i);
                (Vector128<uint> lower, Vector128<uint> upper) = Vector128.Widen(bits);
                Vector128.ShiftLeft(lower, 16).AsSingle().Store(destination + i);
                Vector128.ShiftLeft(upper, 16).AsSingle().Store(destination + i + 4);
            }
        }
        for (; i < count; i++) destination[i] = BitConverter.UInt32BitsToSingle((uint)source[i] << 16);
    }
}
