using RectifiedSpaAttn.Compute;
using RectifiedSpaAttn.Numerics;

namespace RectifiedSpaAttn.Kernels.Corpus;

/// <summary>Corpus: one thread per element, with a bounds check. The simplest shape every backend must get right.</summary>
internal static partial class ElementwiseKernels
{
    /// <summary>y[i] = a * x[i] + y[i] for every i below y's length.</summary>
    [Kernel]
    public static void Saxpy(ArrayView<float> x, ArrayView<float> y, float a)
    {
        int i = Grid.GlobalIndexX;
        if (i >= y.Length) return;
        y[i] = a * x[i] + y[i];
    }

    /// <summary>
    /// output[i] = scale * input[i] in the element type <typeparamref name="T"/>, computed in float and rounded once
    /// on the store: exercises 16-bit loads, conversions and stores.
    /// </summary>
    [Kernel]
    [Specialize("T", typeof(float), typeof(Half), typeof(BFloat16))]
    public static void Scale<T>(ArrayView<T> input, ArrayView<T> output, float scale) where T : unmanaged
    {
        int i = Grid.GlobalIndexX;
        if (i < output.Length) output[i] = Element.FromFloat<T>(Element.ToFloat(input[i]) * scale);
    }

    /// <summary>
    /// Rounds pairs of floats to bf16 and to fp16 and packs each pair into one 32-bit word (element 2i in the low
    /// half), as tensor-core operands are built in registers; then unpacks the bf16 word again.
    /// </summary>
    [Kernel]
    public static void PackPairs(ArrayView<float> input, ArrayView<uint> bf16Pairs, ArrayView<uint> halfPairs, ArrayView<float> unpacked)
    {
        int i = Grid.GlobalIndexX;
        if (i >= bf16Pairs.Length) return;
        float lo = input[2 * i], hi = input[2 * i + 1];
        uint packed = Packed.PackBFloat16(lo, hi);
        bf16Pairs[i] = packed;
        halfPairs[i] = Packed.PackHalf(lo, hi);
        unpacked[2 * i] = Packed.UnpackBFloat16(packed, false);
        unpacked[2 * i + 1] = Packed.UnpackBFloat16(packed, true);
    }

    /// <summary>
    /// destination[4i..4i+3] = source[4i..4i+3] * 2 through 16-byte vector loads and stores (the views' element 0
    /// must be 16-byte aligned). The scale is applied to the bits' float values so a wrong lane order shows.
    /// </summary>
    [Kernel]
    public static void VectorDouble(ArrayView<float> source, ArrayView<float> destination)
    {
        int i = Grid.GlobalIndexX;
        if (4L * i + 3 >= destination.Length) return;
        UInt4 v = VectorMemory.Load16(source, 4L * i);
        VectorMemory.Store16(destination, 4L * i, new UInt4(Twice(v.X), Twice(v.Y), Twice(v.Z), Twice(v.W)));
    }

    private static uint Twice(uint bits) => BitConverter.SingleToUInt32Bits(2f * BitConverter.UInt32BitsToSingle(bits));
}
