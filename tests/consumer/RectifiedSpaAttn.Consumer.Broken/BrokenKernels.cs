using RectifiedSpaAttn.Compute;

namespace MyApp;

public static partial class BrokenKernels
{
    // A kernel cannot allocate managed memory: the build must stop with RSA0002.
    [Kernel]
    public static void Scratch(ArrayView<float> data)
    {
        float[] scratch = new float[4];
        scratch[0] = data[0];
        data[0] = scratch[0] * 2f;
    }
}
