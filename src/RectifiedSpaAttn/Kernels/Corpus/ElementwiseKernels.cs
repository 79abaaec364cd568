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
}
