using RectifiedSpaAttn.Attention;
using RectifiedSpaAttn.Compute;
using RectifiedSpaAttn.Tensors;

namespace RectifiedSpaAttn.Bench.Benchmarks;

/// <summary>Inputs and checks the attention benchmarks share.</summary>
internal static class AttentionWorkloads
{
    /// <summary>Random q, k, v <c>[1, H, S, D]</c> in [-1, 1), uploaded to <paramref name="accelerator"/>.</summary>
    public static (DeviceTensor<T> Q, DeviceTensor<T> K, DeviceTensor<T> V) Upload<T>(Accelerator accelerator, int heads, int sequence, int headDim, int seed)
        where T : unmanaged
    {
        var random = new Random(seed);
        DeviceTensor<T> Make()
        {
            var host = new HostTensor<float>(1, heads, sequence, headDim);
            foreach (ref float x in host.Span) x = random.NextSingle() * 2 - 1;
            return DeviceTensor<T>.Upload(accelerator, host.ConvertTo<T>());
        }
        return (Make(), Make(), Make());
    }

    /// <summary>
    /// One call through the device API by benchmark method name: "dense", "rectified", or block-sparse for anything else
    /// ("sparse-0.25": the density is in the options' mask). Waits for the call's stream: calls return before the device
    /// has run them, and a benchmark times finished work.
    /// </summary>
    public static AttentionResult<T> Run<T>(string method, DeviceTensor<T> q, DeviceTensor<T> k, DeviceTensor<T> v, RectifiedSpaAttnOptions options)
        where T : unmanaged
    {
        AttentionResult<T> result = method switch
        {
            "dense" => AttentionOperations.Run(AttentionMethod.Dense, q, k, v, options),
            "rectified" => AttentionOperations.Rectified(q, k, v, options),
            _ => AttentionOperations.BlockSparse(q, k, v, options),
        };
        result.Stream.Synchronize();
        return result;
    }

    /// <summary>A random block mask <c>[1, H, nQ, nK]</c> with the given density (each row keeps round(density·nK) blocks, the diagonal first).</summary>
    public static HostTensor<bool> RandomMask(int heads, int blocks, double density, int seed)
    {
        var random = new Random(seed);
        var mask = new HostTensor<bool>(1, heads, blocks, blocks);
        int keep = Math.Max(1, (int)Math.Round(density * blocks));
        for (int h = 0; h < heads; h++)
            for (int i = 0; i < blocks; i++)
            {
                Span<bool> row = mask.Row(0, h, i);
                row[i] = true;
                foreach (int j in Enumerable.Range(0, blocks).Where(j => j != i).OrderBy(_ => random.Next()).Take(keep - 1)) row[j] = true;
            }
        return mask;
    }

    /// <summary>
    /// A benchmark of a wrong kernel measures nothing: recomputes <paramref name="rows"/> sampled output rows in fp64
    /// over the keys <paramref name="mask"/> allows (all when null) and throws when the relative L2 error exceeds what
    /// the element type's output rounding explains. Prints the error either way.
    /// </summary>
    public static void CheckSampledRows<T>(string what, DeviceTensor<T> q, DeviceTensor<T> k, DeviceTensor<T> v, DeviceTensor<T> output, HostTensor<bool>? mask, int blockSize, int rows = 8)
        where T : unmanaged
    {
        HostTensor<double> qh = q.ToHost().ToDouble(), kh = k.ToHost().ToDouble(), vh = v.ToHost().ToDouble(), oh = output.ToHost().ToDouble();
        int heads = q.Shape[1], seq = q.Shape[2], dim = q.Shape[3];
        var random = new Random(17);
        double diff2 = 0, ref2 = 0;
        var logits = new double[seq];
        for (int sample = 0; sample < rows; sample++)
        {
            int h = random.Next(heads), t = random.Next(seq);
            ReadOnlySpan<double> qr = qh.Row(0, h, t);
            double max = double.NegativeInfinity;
            for (int u = 0; u < seq; u++)
            {
                bool allowed = mask is null || mask[0, h, t / blockSize, u / blockSize];
                double dot = 0;
                if (allowed) for (int d = 0; d < dim; d++) dot += qr[d] * kh[0, h, u, d];
                logits[u] = allowed ? dot / Math.Sqrt(dim) : double.NegativeInfinity;
                max = Math.Max(max, logits[u]);
            }
            double sum = 0;
            for (int u = 0; u < seq; u++) sum += logits[u] = Math.Exp(logits[u] - max);
            for (int d = 0; d < dim; d++)
            {
                double expected = 0;
                for (int u = 0; u < seq; u++) expected += logits[u] * vh[0, h, u, d];
                expected /= sum;
                double diff = oh[0, h, t, d] - expected;
                diff2 += double.IsNaN(diff) ? double.PositiveInfinity : diff * diff;
                ref2 += expected * expected;
            }
        }
        double relative = Math.Sqrt(diff2 / ref2);
        double bound = typeof(T) == typeof(float) ? 1e-5 : 1e-2;
        Console.WriteLine($"// {what}: sampled relative L2 {relative:E2}");
        if (!(relative <= bound)) throw new InvalidOperationException($"{what} is wrong: sampled relative L2 {relative:E2} > {bound:E0}.");
    }
}
