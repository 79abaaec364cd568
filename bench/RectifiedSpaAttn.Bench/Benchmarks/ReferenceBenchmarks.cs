using BenchmarkDotNet.Attributes;
using RectifiedSpaAttn.Bench.Columns;
using RectifiedSpaAttn.Reference;
using RectifiedSpaAttn.Tensors;

namespace RectifiedSpaAttn.Bench.Benchmarks;

/// <summary>
/// The exact fp64 host reference: not a product path, but the baseline every accelerator is compared with
/// and the cost of the CLI's default execution today.
/// </summary>
[MemoryDiagnoser(false)]
public class ReferenceBenchmarks : IAttentionWorkload
{
    private HostTensor<float> _q = null!, _k = null!, _v = null!;

    [Params(2048)] public int S { get; set; }
    [Params(2)] public int H { get; set; }
    [Params(64)] public int D { get; set; }

    public double Flops => AttentionFlops.Of(1, H, S, D);

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(7);
        _q = Random(random); _k = Random(random); _v = Random(random);
    }

    [Benchmark(Baseline = true)]
    public HostTensor<double> Dense() => ExactReference.DenseAttention(_q, _k, _v);

    [Benchmark]
    public ReferenceResult Rectified() => ExactReference.Rectified(_q, _k, _v, new RectifiedSpaAttnOptions { QueryBlockSize = 128, KeyBlockSize = 128 });

    private HostTensor<float> Random(Random random)
    {
        var t = new HostTensor<float>(1, H, S, D);
        foreach (ref float x in t.Span) x = (float)(random.NextDouble() * 2 - 1);
        return t;
    }
}
