using RectifiedSpaAttn.Compute;
using RectifiedSpaAttn.Kernels.Corpus;
using static RectifiedSpaAttn.Tests.Compiler.CorpusSupport;

namespace RectifiedSpaAttn.Tests.Compiler;

/// <summary>A kernel taking a struct parameter (flattened into scalars by the compiler) on every backend present.</summary>
public sealed class CorpusStructParameterTests(ITestOutputHelper output)
{
    [Fact]
    public void TheStructIsPassedAsOneScalarPerFieldDepthFirst()
    {
        KernelVariant variant = StructParameterKernels.AffineKernel.GetVariant();
        Assert.Equal(
            ["input", "output", "p_Source_Rows", "p_Source_Columns", "p_Source_RowStride", "p_Source_Offset",
             "p_Target_Rows", "p_Target_Columns", "p_Target_RowStride", "p_Target_Offset", "p_Scale", "p_Bias", "p_Relu", "p_Shift"],
            variant.Parameters.Select(p => p.Name));
        Assert.Equal(
            [ScalarType.Int32, ScalarType.Int32, ScalarType.Int64, ScalarType.Int64, ScalarType.Int32, ScalarType.Int32,
             ScalarType.Int64, ScalarType.Int64, ScalarType.Float32, ScalarType.Float16, ScalarType.Bool, ScalarType.UInt8],
            variant.Parameters.Skip(2).Select(p => p.Type));
    }

    [Theory]
    [MemberData(nameof(Kinds), MemberType = typeof(CorpusSupport))]
    public void AffineReadsEveryFieldOfItsStructParameter(AcceleratorKind kind)
    {
        if (Accelerator(kind, StructParameterKernels.AffineKernel.GetVariant(), output) is not { } acc) return;
        var rng = NewRandom(output, out int seed);
        int rows = rng.Next(1, 40), columns = rng.Next(1, 70);
        // Windows inside larger buffers, with strides wider than a row and different offsets, so a field read from
        // the wrong slot (or the wrong window) lands on other elements.
        var source = new MatrixWindow(rows, columns, columns + rng.Next(0, 9), rng.Next(0, 50));
        var target = new MatrixWindow(rows, columns, columns + rng.Next(1, 9), rng.Next(1, 50));
        var p = new AffineParameters
        {
            Source = source, Target = target, Scale = rng.NextSingle() * 4 - 2, Bias = (Half)(rng.NextSingle() - 0.5f),
            Relu = rng.Next(2) == 1, Shift = (byte)rng.Next(0, 4),
        };
        int inputLength = (int)(source.Offset + (rows - 1) * source.RowStride + columns);
        int outputLength = (int)(target.Offset + (rows - 1) * target.RowStride + columns) + 3;
        float[] x = Uniform(rng, inputLength, -3, 3);
        using var xs = Upload(acc, x);
        using DeviceBuffer<float> ys = Poisoned<float>(acc, outputLength);
        StructParameterKernels.AffineKernel.Launch(acc, new LaunchDimensions((rows * columns + 63) / 64, 64), xs.View, ys.View, p);

        float[] y = ys.ToArray();
        var expected = new List<double>();
        var actual = new List<double>();
        var inWindow = new bool[outputLength];
        for (int r = 0; r < rows; r++)
        {
            for (int c = 0; c < columns; c++)
            {
                double v = (double)p.Scale * x[source.Offset + r * source.RowStride + c] + (double)p.Bias;
                if (p.Relu) v = Math.Max(v, 0);
                long at = target.Offset + r * target.RowStride + c;
                inWindow[at] = true;
                expected.Add(v * (1 << p.Shift));
                actual.Add(y[at]);
            }
        }
        for (int i = 0; i < outputLength; i++)
            Assert.True(inWindow[i] || float.IsNaN(y[i]), $"seed {seed}: element {i} outside the target window was written");
        AssertClose([.. expected], [.. actual], 1e-6, $"seed {seed}: affine {rows}x{columns}, relu {p.Relu}, shift {p.Shift}", output);
    }
}
