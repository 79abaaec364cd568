using FsCheck;
using FsCheck.Fluent;
using RectifiedSpaAttn.Attention;
using RectifiedSpaAttn.Numerics;
using RectifiedSpaAttn.Tensors;
using RectifiedSpaAttn.Video;

namespace RectifiedSpaAttn.Tests.Attention;

/// <summary>
/// One randomly drawn problem for the device API: shape (head dims and block sizes the kernels are built for), text
/// slots, selection options, an optional video grid (reordered on the device), method and a seed for the values. Its
/// <see cref="ToString"/> is what FsCheck prints for a failing case, so it lists everything needed to replay it.
/// </summary>
internal sealed record DeviceAttentionCase(
    int Seed, int B, int H, int D, int Block, (int T, int H, int W) Grid, bool UseVideoLayout, int Text, int ValidText,
    double Tau, double? DropRate, int? KMin, int FirstFrame, bool Neighbors, ElementType Type, AttentionMethod Method)
{
    public int Visual => Grid.T * Grid.H * Grid.W;
    public int S => Visual + Text;
    public int Blocks => (Visual + Block - 1) / Block;

    public VideoLayout? Layout => UseVideoLayout ? new VideoLayout(new VideoGrid(Grid.T, Grid.H, Grid.W)) : null;

    public RectifiedSpaAttnOptions Options(HostTensor<bool>? criticalMask = null) => new()
    {
        QueryBlockSize = Block,
        KeyBlockSize = Block,
        DropRate = DropRate,
        MinCriticalBlocks = KMin,
        Tau = Tau,
        FirstFrameBlocks = FirstFrame,
        TextTokens = Text,
        ValidTextTokens = ValidText,
        VideoLayout = Layout,
        UseVideoNeighbors = Neighbors && UseVideoLayout,
        CriticalMask = criticalMask,
    };

    /// <summary>
    /// q, k, v with structure and noise: a smooth function of the position in the grid (so block means carry signal,
    /// masses are not all equal, and some blocks are compensable) plus per-token noise (so others are not).
    /// </summary>
    public (HostTensor<T> Q, HostTensor<T> K, HostTensor<T> V) Inputs<T>() where T : unmanaged
    {
        var random = new Random(Seed);
        return (Make<T>(random), Make<T>(random), Make<T>(random));
    }

    private HostTensor<T> Make<T>(Random random) where T : unmanaged
    {
        var data = new double[B * H * S * D];
        double amplitude = 0.5 + 2.5 * random.NextDouble(), noise = 0.05 + random.NextDouble();
        var frequency = Enumerable.Range(0, 3 * D).Select(_ => 0.3 + 3 * random.NextDouble()).ToArray();
        var phase = Enumerable.Range(0, D).Select(_ => 2 * Math.PI * random.NextDouble()).ToArray();
        for (int bh = 0; bh < B * H; bh++)
            for (int s = 0; s < S; s++)
            {
                // Row-major grid position of a visual token; text tokens get positions past the grid.
                int t = s / (Grid.H * Grid.W), y = s / Grid.W % Grid.H, x = s % Grid.W;
                for (int d = 0; d < D; d++)
                {
                    double angle = frequency[3 * d] * t / Grid.T + frequency[3 * d + 1] * y / Grid.H + frequency[3 * d + 2] * x / Grid.W;
                    data[(bh * S + s) * D + d] = amplitude * Math.Cos(2 * Math.PI * angle + phase[d] + bh) + noise * (2 * random.NextDouble() - 1);
                }
            }
        return new HostTensor<double>(data, B, H, S, D).ConvertTo<T>();
    }

    public override string ToString() =>
        $"Case(seed {Seed}, {Method}, [{B},{H},{S},{D}] {Type}, block {Block}, grid {Grid.T}x{Grid.H}x{Grid.W}{(UseVideoLayout ? " reordered" : "")}, " +
        $"text {ValidText}/{Text}, tau {Tau}, drop {DropRate?.ToString() ?? "-"}, kmin {KMin?.ToString() ?? "-"}, ff {FirstFrame}, neighbours {Neighbors})";

    /// <summary>
    /// Random cases: B 1-2, H 1-2, D 64 or 128, blocks of 64 or 128, 8 to ~300 visual tokens (partial last blocks
    /// mostly), 0-40 text slots with some invalid, every selection rule, all three element types and methods.
    /// </summary>
    public static Arbitrary<DeviceAttentionCase> Arbitrary(int maxVisual) =>
        (from seed in Gen.Choose(0, int.MaxValue)
         from b in Gen.Choose(1, 2)
         from h in Gen.Choose(1, 2)
         from d in Gen.Elements(64, 128)
         from block in Gen.Elements(64, 128)
         from t in Gen.Choose(1, 3)
         from gh in Gen.Choose(2, 8)
         from gw in Gen.Choose(2, 12)
         from reorder in Gen.Elements(true, false)
         from textCount in Gen.Frequency((2, Gen.Constant(0)), (2, Gen.Choose(1, 40)))
         from validShare in Gen.Choose(0, 100)
         from tau in Gen.Elements(0.0, 0.1, 0.3, 0.5, 0.9, 1.0)
         from mode in Gen.Choose(0, 2)
         from drop in Gen.Choose(0, 100)
         from kmin in Gen.Choose(0, 4)
         from ffShare in Gen.Frequency((3, Gen.Constant(0)), (1, Gen.Choose(1, 100)))
         from neighbors in Gen.Elements(true, false)
         from type in Gen.Elements(ElementType.Float32, ElementType.Float16, ElementType.BFloat16)
         from method in Gen.Frequency((1, Gen.Constant(AttentionMethod.Dense)), (2, Gen.Constant(AttentionMethod.BlockSparse)), (3, Gen.Constant(AttentionMethod.Rectified)))
         let height = Math.Max(1, Math.Min(gh, maxVisual / (t * gw)))
         let visual = t * height * gw
         let nK = (visual + block - 1) / block
         select new DeviceAttentionCase(seed, b, h, d, block, (t, height, gw), reorder, textCount, textCount * validShare / 100, tau,
             mode == 0 ? drop / 100.0 : null, mode == 1 ? kmin : null, nK * ffShare / 100, neighbors, type, method))
        .ToArbitrary();

    /// <summary>Runs <paramref name="property"/> on <paramref name="count"/> random cases; FsCheck prints the failing case.</summary>
    public static void Check(int count, Action<DeviceAttentionCase> property, int maxVisual = 300) =>
        Prop.ForAll(Arbitrary(maxVisual), property).Check(Config.QuickThrowOnFailure.WithMaxTest(count).WithQuietOnSuccess(true));
}
