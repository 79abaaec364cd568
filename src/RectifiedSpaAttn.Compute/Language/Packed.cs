using RectifiedSpaAttn.Numerics;

namespace RectifiedSpaAttn.Compute;

/// <summary>
/// Packing of two 16-bit floats into one 32-bit register, the operand format of the tensor-core intrinsics
/// (the low half holds the element with the lower index).
/// </summary>
public static class Packed
{
    /// <summary>Rounds two singles to bf16 (nearest-even) and packs them: <paramref name="lo"/> in bits 0-15.</summary>
    public static uint PackBFloat16(float lo, float hi) => throw new KernelOnlyException("Packed.PackBFloat16");
    /// <summary>Rounds two singles to fp16 (nearest-even) and packs them: <paramref name="lo"/> in bits 0-15.</summary>
    public static uint PackHalf(float lo, float hi) => throw new KernelOnlyException("Packed.PackHalf");
    /// <summary>The bf16 in bits 0-15 (<paramref name="high"/> false) or 16-31 (true), widened to single.</summary>
    public static float UnpackBFloat16(uint packed, bool high) => throw new KernelOnlyException("Packed.UnpackBFloat16");
    /// <summary>The fp16 in bits 0-15 (<paramref name="high"/> false) or 16-31 (true), widened to single.</summary>
    public static float UnpackHalf(uint packed, bool high) => throw new KernelOnlyException("Packed.UnpackHalf");
}

/// <summary>Sixteen bytes as four 32-bit words: the unit of 16-byte vector loads and stores.</summary>
/// <param name="X">Bytes 0-3.</param>
/// <param name="Y">Bytes 4-7.</param>
/// <param name="Z">Bytes 8-11.</param>
/// <param name="W">Bytes 12-15.</param>
public record struct UInt4(uint X, uint Y, uint Z, uint W);

/// <summary>16-byte vector memory access (<c>ld.v4.u32</c> / <c>st.v4.u32</c>; <c>vload4</c>/<c>vstore4</c>).</summary>
public static class VectorMemory
{
    /// <summary>
    /// Loads the 16 bytes that start at element <paramref name="index"/> of <paramref name="view"/>; the byte address
    /// must be 16-byte aligned.
    /// </summary>
    public static UInt4 Load16<T>(ArrayView<T> view, long index) where T : unmanaged => throw new KernelOnlyException("VectorMemory.Load16");
    /// <summary>Stores 16 bytes at element <paramref name="index"/> of <paramref name="view"/> (16-byte aligned).</summary>
    public static void Store16<T>(ArrayView<T> view, long index, UInt4 value) where T : unmanaged => throw new KernelOnlyException("VectorMemory.Store16");
}
