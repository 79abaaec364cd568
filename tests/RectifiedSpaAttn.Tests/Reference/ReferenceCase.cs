using FsCheck;
using FsCheck.Fluent;
using RectifiedSpaAttn.Numerics;
using RectifiedSpaAttn.Tensors;

namespace RectifiedSpaAttn.Tests.Reference;

/// <summary>
/// One randomly drawn problem: shape, block sizes, text slots, selection options and a seed for the values. Its
/// <see cref="ToString"/> is what FsCheck prints for a failing case, so it lists everything needed to replay it.
/// Public because property tests take it as their parameter.
/// </summary>
public sealed record ReferenceCase(
    int Seed, int B, int H, int S, int D, int M, int N, int Text, int ValidText,
    double Tau, double? DropRate, int? KMin, int FirstFrame, bool Neighbors, ElementType Type)
{
    public int Visual => S - Text;
    public int QueryBlocks => (Visual + M - 1) / M;
    public int KeyBlocks => (Visual + N - 1) / N;

    public RectifiedSpaAttnOptions Options(HostTensor<bool>? criticalMask = null) => new()
    {
        QueryBlockSize = M,
        KeyBlockSize = N,
        DropRate = DropRate,
        MinCriticalBlocks = KMin,
        Tau = Tau,
        FirstFrameBlocks = FirstFrame,
        TextTokens = Text,
        ValidTextTokens = ValidText,
        NeighborMask = Neighbors ? NeighborMask() : null,
        CriticalMask = criticalMask,
    };

    /// <summary>A random neighbour mask (diagonal-heavy, like a real layout's) drawn from the seed.</summary>
    public HostTensor<bool> NeighborMask()
    {
        var random = new Random(Seed ^ 0x5EED);
        var mask = new HostTensor<bool>(QueryBlocks, KeyBlocks);
        for (int i = 0; i < QueryBlocks; i++)
            for (int j = 0; j < KeyBlocks; j++)
                mask[i, j] = Math.Abs(i * N - j * M) < M * N / 2 || random.NextDouble() < 0.1;
        return mask;
    }

    /// <summary>
    /// q, k, v with both structure and noise: a smooth function of the token position (so block means carry signal and
    /// some blocks are compensable) plus per-token noise (so others are not), stored as <see cref="Type"/>.
    /// </summary>
    public (HostTensor Q, HostTensor K, HostTensor V) Inputs()
    {
        var random = new Random(Seed);
        return (Make(random), Make(random), Make(random));
    }

    private HostTensor Make(Random random)
    {
        var data = new double[B * H * S * D];
        double amplitude = 0.3 + 2.5 * random.NextDouble(), noise = 0.05 + random.NextDouble();
        var frequency = Enumerable.Range(0, D).Select(_ => 0.5 + 6 * random.NextDouble()).ToArray();
        var phase = Enumerable.Range(0, D).Select(_ => 2 * Math.PI * random.NextDouble()).ToArray();
        for (int bh = 0; bh < B * H; bh++)
            for (int t = 0; t < S; t++)
                for (int d = 0; d < D; d++)
                    data[(bh * S + t) * D + d] = amplitude * Math.Cos(frequency[d] * t / S * 2 * Math.PI + phase[d] + bh) + noise * (2 * random.NextDouble() - 1);
        var exact = new HostTensor<double>(data, B, H, S, D);
        return Type switch
        {
            ElementType.Float32 => exact.ConvertTo<float>(),
            ElementType.Float16 => exact.ConvertTo<Half>(),
            ElementType.BFloat16 => exact.ConvertTo<BFloat16>(),
            _ => exact,
        };
    }

    public override string ToString() =>
        $"Case(seed {Seed}, [{B},{H},{S},{D}] {Type}, M {M}, N {N}, text {ValidText}/{Text}, tau {Tau}, drop {DropRate?.ToString() ?? "-"}, " +
        $"kmin {KMin?.ToString() ?? "-"}, ff {FirstFrame}, neighbours {Neighbors})";

    /// <summary>Random cases within the ranges the task names: B 1-2, H 1-3, D in {4,8,16,32}, block sizes 4..32 (query and key apart), S up to 140.</summary>
    public static Arbitrary<ReferenceCase> Arbitrary(int maxSequence = 140) =>
        (from seed in Gen.Choose(0, int.MaxValue)
         from b in Gen.Choose(1, 2)
         from h in Gen.Choose(1, 3)
         from s in Gen.Choose(1, maxSequence)
         from d in Gen.Elements(4, 8, 16, 32)
         from m in Gen.Choose(4, 32)
         from sameBlocks in Gen.Elements(true, false)
         from n0 in Gen.Choose(4, 32)
         from textShare in Gen.Frequency((2, Gen.Constant(0)), (3, Gen.Choose(1, 12)))
         from validShare in Gen.Choose(0, 100)
         from tau in Gen.Elements(0.0, 0.05, 0.2, 0.3, 0.5, 0.8, 0.99, 1.0, double.PositiveInfinity)
         from mode in Gen.Choose(0, 2)
         from drop in Gen.Choose(0, 100)
         from kmin in Gen.Choose(0, 12)
         from ffShare in Gen.Frequency((2, Gen.Constant(0)), (1, Gen.Choose(1, 100)))
         from neighbors in Gen.Elements(true, false)
         from type in Gen.Elements(ElementType.Float64, ElementType.Float32, ElementType.Float16, ElementType.BFloat16)
         let text = Math.Min(textShare, s - 1)
         let valid = text * validShare / 100
         let n = sameBlocks ? m : n0
         let nK = (s - text + n - 1) / n
         select new ReferenceCase(seed, b, h, s, d, m, n, text, valid, tau,
             mode == 0 ? drop / 100.0 : null, mode == 1 ? kmin : null, nK * ffShare / 100, neighbors, type))
        .ToArbitrary();

}

/// <summary>The cases <c>[Property(Arbitrary = [typeof(ReferenceCases)])]</c> tests draw: sequences up to 140 tokens.</summary>
public static class ReferenceCases
{
    public static Arbitrary<ReferenceCase> Cases() => ReferenceCase.Arbitrary(140);
}
