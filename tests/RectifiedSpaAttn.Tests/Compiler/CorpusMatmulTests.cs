using RectifiedSpaAttn.Compute;
using RectifiedSpaAttn.Tests.Accelerators;
using RectifiedSpaAttn.Kernels.Corpus;
using RectifiedSpaAttn.Numerics;
using static RectifiedSpaAttn.Tests.Compiler.CorpusSupport;

namespace RectifiedSpaAttn.Tests.Compiler;

/// <summary>The shared-memory fp32 matmul and the two tensor-core matmuls against an fp64 host product.</summary>
public sealed class CorpusMatmulTests(ITestOutputHelper output)
{
    public static TheoryData<AcceleratorKind, int> TiledCases() => PerKind(16, 32);

    [Theory]
    [MemberData(nameof(TiledCases))]
    public void TiledMatmulHandlesRaggedEdges(AcceleratorKind kind, int tile)
    {
        KernelVariant variant = TiledMatmulKernels.MatmulKernel.GetVariant(tile);
        if (Accelerator(kind, variant, output) is not { } acc) return;
        var rng = NewRandom(output, out int seed);
        var dims = (int m, int n) => new LaunchDimensions(new Dim3((n + tile - 1) / tile, (m + tile - 1) / tile), new Dim3(tile, tile));
        if (tile * tile > acc.MaxGroupSizeFor(variant))
        {
            // The kernel needs tile x tile threads; where the device builds it for fewer (NVIDIA's OpenCL: 256), the
            // launch must be refused up front, naming the limit, rather than fail in the driver.
            using DeviceBuffer<float> none = acc.Allocate<float>(1);
            var refused = Assert.Throws<ArgumentException>(() =>
                TiledMatmulKernels.MatmulKernel.Launch(acc, dims(1, 1), none.View, none.View, none.View, 1, 1, 1, tile));
            Assert.Contains(acc.MaxGroupSizeFor(variant).ToString(), refused.Message);
            output.WriteLine($"{variant.DisplayName} runs at most {acc.MaxGroupSizeFor(variant)} threads per group on {acc.Name}: refused as expected");
            return;
        }
        // Sizes that are not multiples of the tile, so the zero-filled edges are exercised.
        int m = rng.Next(1, 90), n = rng.Next(1, 90), k = rng.Next(1, 90);
        float[] a = Uniform(rng, m * k), b = Uniform(rng, k * n);
        using var da = Upload(acc, a);
        using var db = Upload(acc, b);
        using DeviceBuffer<float> dc = Poisoned<float>(acc, m * n);
        TiledMatmulKernels.MatmulKernel.Launch(acc, dims(m, n),
            da.View, db.View, dc.View, m, n, k, tile);

        AssertClose(Product(ToDoubles(a), ToDoubles(b), m, n, k), ToDoubles(dc.ToArray()), 1e-5,
            $"seed {seed}: tile {tile}, {m}x{n}x{k}", output);
    }

    public static TheoryData<AcceleratorKind, string, int, int, int, int> TensorCoreCases()
    {
        var data = new TheoryData<AcceleratorKind, string, int, int, int, int>();
        foreach (AcceleratorKind kind in TestAccelerators.Every)
            foreach (string type in new[] { "half", "bfloat16" })
                foreach (int stages in new[] { 3, 4 })
                    foreach (int tileN in new[] { 128, 256 })
                        foreach (int tileK in new[] { 32, 64 })
                            foreach (int fragments in new[] { 1, 2 }) data.Add(kind, type, stages, tileN, tileK, fragments);
        return data;
    }

    [Theory]
    [MemberData(nameof(TensorCoreCases))]
    public void TensorCoreMatmulMatchesTheProductOfTheRoundedInputs(AcceleratorKind kind, string type, int stages, int tileN, int tileK, int fragments)
    {
        if (type == "half") TensorCore<Half>(kind, stages, tileN, tileK, fragments);
        else TensorCore<BFloat16>(kind, stages, tileN, tileK, fragments);
    }

    private void TensorCore<T>(AcceleratorKind kind, int stages, int tileN, int tileK, int fragments) where T : unmanaged
    {
        if (Accelerator(kind, TensorCoreMatmulKernels.MatmulKernel.GetVariant(typeof(T), stages, tileN, tileK, fragments), output) is not { } acc) return;
        var rng = NewRandom(output, out int seed);
        // Three tile rows and, for the narrow tile, two tile columns, so the band order has a partial last band when
        // it is 2 rows high; 5 k tiles so a 3- or 4-stage ring wraps and the tail drains.
        int m = 3 * TensorCoreMatmulKernels.TileM, n = 256, k = 5 * tileK;
        int tileRows = m / TensorCoreMatmulKernels.TileM;
        int bandRows = new[] { 1, 2, 16 }[rng.Next(3)];
        T[] a = Round<T>(Uniform(rng, m * k)), b = Round<T>(Uniform(rng, k * n));
        using var da = Upload(acc, a);
        using var db = Upload(acc, b);
        using DeviceBuffer<float> dc = Poisoned<float>(acc, m * n);
        var dims = new LaunchDimensions(new Dim3(n / tileN, tileRows), TensorCoreMatmulKernels.GroupSize(tileN), TensorCoreMatmulKernels.SharedBytes(stages, tileN, tileK, 2));
        TensorCoreMatmulKernels.MatmulKernel.Launch(acc, dims, da.View, db.View, dc.View, m, n, k, bandRows, stages, tileN, tileK, fragments);

        // The inputs are exactly representable, so only the f32 accumulation differs from the fp64 product.
        AssertClose(Product(ToDoubles(a), ToDoubles(b), m, n, k), ToDoubles(dc.ToArray()), 1e-5,
            $"seed {seed}: {typeof(T).Name}, {stages} stages, tile N {tileN}, tile K {tileK}, {fragments} fragment sets, {m}x{n}x{k}, bands of {bandRows} tile rows", output);
    }

    public static TheoryData<AcceleratorKind, string> CompactTensorCoreCases() => PerKind("half", "bfloat16");

    [Theory]
    [MemberData(nameof(CompactTensorCoreCases))]
    public void CompactTensorCoreMatmulMatchesTheProductOfTheRoundedInputs(AcceleratorKind kind, string type)
    {
        if (type == "half") CompactTensorCore<Half>(kind);
        else CompactTensorCore<BFloat16>(kind);
    }

    private void CompactTensorCore<T>(AcceleratorKind kind) where T : unmanaged
    {
        KernelVariant variant = CompactTensorCoreMatmulKernels.MatmulKernel.GetVariant(typeof(T));
        // This kernel is the tensor-core matmul that runs on OpenCL: its case may skip only where there is no backend.
        if (kind == AcceleratorKind.OpenCL) Assert.Null(variant.OpenCLUnsupportedReason);
        if (Accelerator(kind, variant, output) is not { } acc) return;
        var rng = NewRandom(output, out int seed);
        // 1-3 tiles each way, and 1-6 k tiles: one tile only fills and drains the double buffer, more make it wrap.
        int m = rng.Next(1, 4) * CompactTensorCoreMatmulKernels.TileM;
        int n = rng.Next(1, 4) * CompactTensorCoreMatmulKernels.TileN;
        int k = rng.Next(1, 7) * CompactTensorCoreMatmulKernels.TileK;
        T[] a = Round<T>(Uniform(rng, m * k)), b = Round<T>(Uniform(rng, k * n));
        using var da = Upload(acc, a);
        using var db = Upload(acc, b);
        using DeviceBuffer<float> dc = Poisoned<float>(acc, m * n);
        var dims = new LaunchDimensions(new Dim3(n / CompactTensorCoreMatmulKernels.TileN, m / CompactTensorCoreMatmulKernels.TileM),
            CompactTensorCoreMatmulKernels.GroupSize);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        CompactTensorCoreMatmulKernels.MatmulKernel.Launch(acc, dims, da.View, db.View, dc.View, m, n, k);
        double[] got = ToDoubles(dc.ToArray());
        // On OpenCL the first launch of a variant includes building its program.
        output.WriteLine($"{variant.DisplayName} on {acc.Name}: launch and read back {clock.Elapsed.TotalSeconds:F2} s");

        // The inputs are exactly representable, so only the f32 accumulation differs from the fp64 product.
        AssertClose(Product(ToDoubles(a), ToDoubles(b), m, n, k), got, 1e-5,
            $"seed {seed}: {typeof(T).Name}, {m}x{n}x{k}", output);
    }

    /// <summary>The fp64 product of row-major a (m x k) and b (k x n).</summary>
    private static double[] Product(double[] a, double[] b, int m, int n, int k)
    {
        var c = new double[m * n];
        for (int i = 0; i < m; i++)
            for (int p = 0; p < k; p++)
            {
                double aip = a[i * k + p];
                for (int j = 0; j < n; j++) c[i * n + j] += aip * b[p * n + j];
            }
        return c;
    }
}
