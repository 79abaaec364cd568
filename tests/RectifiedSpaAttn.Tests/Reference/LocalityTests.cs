using RectifiedSpaAttn.Metrics;
using RectifiedSpaAttn.Reference;
using RectifiedSpaAttn.Tensors;

namespace RectifiedSpaAttn.Tests.Reference;

/// <summary>
/// The paper's claim, measured: on attention with spatial locality the rectified output is closer to dense attention than
/// the plain block-sparse output. Tokens lie on a line; q and k are smooth Fourier features of the position (so
/// <c>q_t . k_u</c> peaks at <c>u = t</c> and decays with distance) plus noise; v is smooth plus noise.
/// </summary>
public class LocalityTests(ITestOutputHelper output)
{
    [Fact]
    public void RectifiedIsCloserToDenseThanPlainSparse()
    {
        for (int run = 0; run < 4; run++)
        {
            int seed = Random.Shared.Next();
            var (q, k, v) = LineInputs(new Random(seed), heads: 2, seq: 640, dim: 16);
            var options = new RectifiedSpaAttnOptions { QueryBlockSize = 32, KeyBlockSize = 32, DropRate = 0.75, Tau = 0.3 };

            HostTensor<double> dense = ExactReference.DenseAttention(q, k, v);
            ReferenceResult sparse = ExactReference.BlockSparse(q, k, v, options);
            ReferenceResult rectified = ExactReference.Rectified(q, k, v, options);
            double sparseError = ErrorMetrics.RelativeL2(sparse.Output.Span, dense.Span);
            double rectifiedError = ErrorMetrics.RelativeL2(rectified.Output.Span, dense.Span);
            double sparseCosine = ErrorMetrics.CosineSimilarity(sparse.Output.Span, dense.Span);
            double rectifiedCosine = ErrorMetrics.CosineSimilarity(rectified.Output.Span, dense.Span);
            output.WriteLine($"seed {seed}: density {sparse.Density:F3}, rel L2 to dense: sparse {sparseError:E3}, rectified {rectifiedError:E3}; " +
                             $"cosine: sparse {sparseCosine:F5}, rectified {rectifiedCosine:F5}");

            Assert.True(rectifiedError < sparseError, $"seed {seed}: rectified {rectifiedError} is not closer to dense than sparse {sparseError}");
        }
    }

    private static (HostTensor<float> Q, HostTensor<float> K, HostTensor<float> V) LineInputs(Random random, int heads, int seq, int dim)
    {
        var q = new HostTensor<float>(1, heads, seq, dim);
        var k = new HostTensor<float>(1, heads, seq, dim);
        var v = new HostTensor<float>(1, heads, seq, dim);
        for (int h = 0; h < heads; h++)
        {
            double[] frequency = [.. Enumerable.Range(0, dim / 2).Select(f => 2 * Math.PI * (0.5 + f * 1.5 + random.NextDouble()))];
            double[] valueFrequency = [.. Enumerable.Range(0, dim).Select(_ => 2 * Math.PI * 3 * random.NextDouble())];
            double amplitude = 1.2 + 0.6 * random.NextDouble();
            for (int t = 0; t < seq; t++)
            {
                double x = (double)t / seq;
                for (int f = 0; f < dim / 2; f++)
                {
                    q[0, h, t, 2 * f] = (float)(amplitude * Math.Cos(frequency[f] * x) + 0.1 * Noise(random));
                    q[0, h, t, 2 * f + 1] = (float)(amplitude * Math.Sin(frequency[f] * x) + 0.1 * Noise(random));
                    k[0, h, t, 2 * f] = (float)(amplitude * Math.Cos(frequency[f] * x) + 0.1 * Noise(random));
                    k[0, h, t, 2 * f + 1] = (float)(amplitude * Math.Sin(frequency[f] * x) + 0.1 * Noise(random));
                }
                for (int d = 0; d < dim; d++) v[0, h, t, d] = (float)(Math.Sin(valueFrequency[d] * x + d) + 0.3 * Noise(random));
            }
        }
        return (q, k, v);
    }

    private static double Noise(Random random) => 2 * random.NextDouble() - 1;
}
