using RectifiedSpaAttn.Compute;

namespace RectifiedSpaAttn.Kernels.Corpus;

/// <summary>A window onto a row-major matrix in a buffer: where it starts and how far apart its rows are.</summary>
/// <param name="Rows">Rows in the window.</param>
/// <param name="Columns">Columns in the window.</param>
/// <param name="RowStride">Elements from one row to the next.</param>
/// <param name="Offset">Element index of the window's first element.</param>
public readonly record struct MatrixWindow(int Rows, int Columns, long RowStride, long Offset);

/// <summary>
/// What <see cref="StructParameterKernels.Affine"/> needs besides its buffers, in one struct: two nested windows and
/// scalars of different widths (float, Half, bool, byte), so the flattened parameter list mixes alignments.
/// </summary>
public struct AffineParameters
{
    /// <summary>Where the input matrix is.</summary>
    public MatrixWindow Source;
    /// <summary>Where the result goes (same rows and columns as <see cref="Source"/>).</summary>
    public MatrixWindow Target;
    /// <summary>Multiplies every element.</summary>
    public float Scale;
    /// <summary>Added after the scale.</summary>
    public Half Bias;
    /// <summary>Whether negative results become 0.</summary>
    public bool Relu;
    /// <summary>Every result is also multiplied by 2^<see cref="Shift"/> (an exact scaling).</summary>
    public byte Shift;
}

/// <summary>Corpus: a kernel whose sizes and scalars come in one struct parameter, flattened by the compiler.</summary>
internal static partial class StructParameterKernels
{
    /// <summary>
    /// <c>target[r, c] = max?(scale * source[r, c] + bias) * 2^shift</c> for every element of the window, one thread
    /// per element. The windows are read in a helper that takes the struct, as kernels share logic through helpers.
    /// </summary>
    [Kernel]
    public static void Affine(ArrayView<float> input, ArrayView<float> output, AffineParameters p)
    {
        int i = Grid.GlobalIndexX;
        if (i >= p.Target.Rows * p.Target.Columns) return;
        int row = i / p.Target.Columns, column = i - row * p.Target.Columns;
        float y = p.Scale * input[ElementAt(p.Source, row, column)] + (float)p.Bias;
        if (p.Relu) y = MathF.Max(y, 0f);
        output[ElementAt(p.Target, row, column)] = y * (1 << p.Shift);
    }

    /// <summary>Index of element (row, column) of the window.</summary>
    private static long ElementAt(MatrixWindow window, int row, int column) => window.Offset + row * window.RowStride + column;
}
