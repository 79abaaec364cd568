using System.ComponentModel;
using System.Runtime.CompilerServices;
using RectifiedSpaAttn.Numerics;

namespace RectifiedSpaAttn.Compute.Emulation;

/// <summary>
/// Arithmetic of the kernel IR that has no single C# operator with the same meaning. For generated code only.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class CpuMath
{
    /// <summary>Absolute value that wraps like the GPU's <c>abs.s32</c> (int.MinValue stays int.MinValue; Math.Abs would throw).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int Abs(int x) => x < 0 ? unchecked(-x) : x;

    /// <summary>Absolute value that wraps (long.MinValue stays long.MinValue).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static long Abs(long x) => x < 0 ? unchecked(-x) : x;

    /// <summary>Rounds two singles to bf16 (nearest even) and packs them, <paramref name="lo"/> in bits 0-15.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static uint PackBFloat16(float lo, float hi)
        => BFloat16.RoundToBits(BitConverter.SingleToUInt32Bits(lo)) | ((uint)BFloat16.RoundToBits(BitConverter.SingleToUInt32Bits(hi)) << 16);

    /// <summary>Rounds two singles to fp16 (nearest even) and packs them, <paramref name="lo"/> in bits 0-15.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static uint PackHalf(float lo, float hi)
        => BitConverter.HalfToUInt16Bits((Half)lo) | ((uint)BitConverter.HalfToUInt16Bits((Half)hi) << 16);

    /// <summary>The bf16 in the low (<paramref name="high"/> false) or high half of <paramref name="packed"/>, widened exactly.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float UnpackBFloat16(uint packed, bool high)
        => BitConverter.UInt32BitsToSingle(high ? packed & 0xFFFF_0000u : packed << 16);

    /// <summary>The fp16 in the low (<paramref name="high"/> false) or high half of <paramref name="packed"/>, widened exactly.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float UnpackHalf(uint packed, bool high)
        => (float)BitConverter.UInt16BitsToHalf((ushort)(high ? packed >> 16 : packed));

    /// <summary>
    /// Returns its argument unchanged, as a value the C# compiler cannot treat as a constant. The backend wraps
    /// constant-foldable conditions and divisors in it so that generated code neither trips "unreachable code"
    /// warnings nor the "division by constant zero" error in paths the kernel never takes.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T Opaque<T>(T value) => value;
}
