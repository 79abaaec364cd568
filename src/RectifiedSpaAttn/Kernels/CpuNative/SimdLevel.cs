using System.Runtime.Intrinsics;

namespace RectifiedSpaAttn.Kernels.CpuNative;

/// <summary>The vector width the flash kernels are instantiated for.</summary>
internal enum SimdLevel
{
    /// <summary>Plain floats (<see cref="SimdScalar"/>).</summary>
    Scalar,
    /// <summary>128-bit vectors (<see cref="Simd128"/>).</summary>
    Vector128,
    /// <summary>256-bit vectors (<see cref="Simd256"/>).</summary>
    Vector256,
    /// <summary>512-bit vectors (<see cref="Simd512"/>).</summary>
    Vector512,
}

/// <summary>Picks the widest vector width this machine runs in hardware.</summary>
internal static class SimdLevels
{
    /// <summary>
    /// The widest accelerated width. The narrower widths run on any .NET platform (the runtime emulates vectors it cannot
    /// accelerate), so every level is correct everywhere; this only chooses the fast one.
    /// </summary>
    public static SimdLevel Best { get; } =
        Vector512.IsHardwareAccelerated ? SimdLevel.Vector512
        : Vector256.IsHardwareAccelerated ? SimdLevel.Vector256
        : Vector128.IsHardwareAccelerated ? SimdLevel.Vector128
        : SimdLevel.Scalar;

    /// <summary>Floats per register at <paramref name="level"/>.</summary>
    public static int Width(SimdLevel level) => level switch
    {
        SimdLevel.Vector512 => 16,
        SimdLevel.Vector256 => 8,
        SimdLevel.Vector128 => 4,
        _ => 1,
    };
}
