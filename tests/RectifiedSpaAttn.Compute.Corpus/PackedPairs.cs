using RectifiedSpaAttn.Compute;
using RectifiedSpaAttn.Numerics;

namespace RectifiedSpaAttn.Kernels.Corpus;

/// <summary>Kernel helper shared by the Hopper corpus kernels: two floats rounded to <typeparamref name="T"/> in one 32-bit word.</summary>
internal static class PackedPairs
{
    /// <summary>
    /// <paramref name="lo"/> in the low half and <paramref name="hi"/> in the high half, as bf16 or f16 after
    /// <typeparamref name="T"/>: the register-A fragment word of a 16-bit wgmma. The type test folds at compile time.
    /// </summary>
    public static uint Of<T>(float lo, float hi) where T : unmanaged
        => typeof(T) == typeof(BFloat16) ? Packed.PackBFloat16(lo, hi) : Packed.PackHalf(lo, hi);
}
