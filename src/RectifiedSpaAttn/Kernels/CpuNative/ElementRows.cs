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
            LoadHalf((ushort*)source, destination, count);
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
        {
            // Once per output row: the runtime's scalar conversion (round to nearest even) is precompiled and plenty.
            Half* halves = (Half*)destination;
            for (int i = 0; i < count; i++) halves[i] = (Half)source[i];
        }
        else
        {
            ushort* bits = (ushort*)destination;
            for (int i = 0; i < count; i++) bits[i] = BFloat16.RoundToBits(BitConverter.SingleToUInt32Bits(source[i]));
        }
    }

    /// <summary>
    /// IEEE half to single, 16 at a time, exactly: shift sign and exponent-mantissa into place and rebias the exponent;
    /// Inf/NaN get the all-ones exponent; zeros and subnormals go through <c>float(2^-14 (1 + m/1024)) - 2^-14</c>,
    /// which is exact and never does arithmetic on subnormal floats. (TensorPrimitives has this too, but its generic
    /// internals start as tier-0 code, which this hot per-key-run call cannot afford.)
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void LoadHalf(ushort* source, float* destination, int count)
    {
        int i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            for (; i + 16 <= count; i += 16)
            {
                (Vector256<uint> lower, Vector256<uint> upper) = Vector256.Widen(Vector256.Load(source + i));
                WidenHalf(lower).Store(destination + i);
                WidenHalf(upper).Store(destination + i + 8);
            }
        }
        for (; i < count; i++) destination[i] = (float)BitConverter.UInt16BitsToHalf(source[i]);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> WidenHalf(Vector256<uint> half)
    {
        Vector256<uint> sign = Vector256.ShiftLeft(half & Vector256.Create(0x8000u), 16);
        Vector256<uint> bits = Vector256.ShiftLeft(half & Vector256.Create(0x7FFFu), 13);
        Vector256<uint> exponent = bits & Vector256.Create(0x0F80_0000u);
        bits += Vector256.Create(0x3800_0000u); // rebias 15 -> 127
        bits += Vector256.Create(0x3800_0000u) & Vector256.Equals(exponent, Vector256.Create(0x0F80_0000u)); // Inf/NaN -> 255
        Vector256<float> small = (bits + Vector256.Create(0x0080_0000u)).AsSingle() - Vector256.Create(0x3880_0000u).AsSingle();
        Vector256<float> value = Vector256.ConditionalSelect(Vector256.Equals(exponent, Vector256<uint>.Zero).AsSingle(), small, bits.AsSingle());
        return (value.AsUInt32() | sign).AsSingle();
    }

    /// <summary>bfloat16 is the top half of a float: widen each 16-bit pattern and shift it up; 16 or 8 at a time.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void LoadBFloat16(ushort* source, float* destination, int count)
    {
        int i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            for (; i + 16 <= count; i += 16)
            {
                Vector256<ushort> bits = Vector256.Load(source + i);
                (Vector256<uint> lower, Vector256<uint> upper) = Vector256.Widen(bits);
                Vector256.ShiftLeft(lower, 16).AsSingle().Store(destination + i);
                Vector256.ShiftLeft(upper, 16).AsSingle().Store(destination + i + 8);
            }
        }
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
