using RectifiedSpaAttn.Compute;
using RectifiedSpaAttn.Numerics;
using RectifiedSpaAttn.Tensors;

namespace RectifiedSpaAttn.Tests.Attention;

/// <summary>Random attention inputs for the stream and allocation tests: fresh values each run, never zeros.</summary>
internal sealed class StreamTestInputs<T> : IDisposable where T : unmanaged
{
    public StreamTestInputs(Accelerator accelerator, int heads, int seq, int dim, int seed)
    {
        var random = new Random(seed);
        Host = new HostTensor<T>[3];
        for (int i = 0; i < 3; i++)
        {
            var values = new HostTensor<float>(1, heads, seq, dim);
            foreach (ref float x in values.Span) x = random.NextSingle() * 2 - 1;
            Host[i] = values.ConvertTo<T>();
        }
        Q = DeviceTensor<T>.Upload(accelerator, Host[0]);
        K = DeviceTensor<T>.Upload(accelerator, Host[1]);
        V = DeviceTensor<T>.Upload(accelerator, Host[2]);
    }

    /// <summary>q, k and v on the host (the device tensors hold exactly these values).</summary>
    public HostTensor<T>[] Host { get; }

    public DeviceTensor<T> Q { get; }
    public DeviceTensor<T> K { get; }
    public DeviceTensor<T> V { get; }

    public void Dispose()
    {
        Q.Dispose();
        K.Dispose();
        V.Dispose();
    }
}

/// <summary>Exact dense attention of single rows, to check a large device output without a full reference.</summary>
internal static class DenseRowReference
{
    /// <summary>Exact fp64 dense attention of one query row of head <paramref name="head"/>, from bf16 inputs.</summary>
    public static double[] Compute(HostTensor<BFloat16>[] qkv, int head, int row)
    {
        int seq = qkv[0].Shape[2], dim = qkv[0].Shape[3];
        ReadOnlySpan<BFloat16> q = qkv[0].Span, k = qkv[1].Span, v = qkv[2].Span;
        long headBase = (long)head * seq * dim;
        var scores = new double[seq];
        double max = double.NegativeInfinity;
        for (int j = 0; j < seq; j++)
        {
            double dot = 0;
            for (int d = 0; d < dim; d++) dot += (double)q[(int)(headBase + (long)row * dim + d)] * k[(int)(headBase + (long)j * dim + d)];
            scores[j] = dot / Math.Sqrt(dim);
            max = Math.Max(max, scores[j]);
        }
        var output = new double[dim];
        double sum = 0;
        for (int j = 0; j < seq; j++)
        {
            double p = Math.Exp(scores[j] - max);
            sum += p;
            for (int d = 0; d < dim; d++) output[d] += p * v[(int)(headBase + (long)j * dim + d)];
        }
        for (int d = 0; d < dim; d++) output[d] /= sum;
        return output;
    }
}
