using FsCheck;
using FsCheck.Fluent;
using RectifiedSpaAttn.Kernels.Attention;
using RectifiedSpaAttn.Kernels.CpuNative;
using RectifiedSpaAttn.Reference;
using RectifiedSpaAttn.Tensors;

namespace RectifiedSpaAttn.Tests.Kernels.CpuNative;

/// <summary>
/// One random flash-attention problem: shape, layout, element type, vector width, the dense query range, whether the
/// sparse epilogue rectifies, and a seed for every value. <see cref="ToString"/> is what FsCheck prints for a failing
/// case, so it carries everything needed to replay it.
/// </summary>
internal sealed record FlashCase(
    int Seed, int B, int H, int S, int D, int M, int N, int Text, int ValidText, ElementType Type, SimdLevel Level,
    int QueryStart, int QueryCount, bool Rectify, double Scale)
{
    public AttentionShape Shape => new(B, H, S, D, Text, ValidText, M, N);

    public BlockLayout Layout => new(S, Text, ValidText, M, N);

    /// <summary>The relative L2 error the kernels must meet: fp32 accumulation noise for fp32 inputs, output rounding for 16-bit ones.</summary>
    public double Tolerance => Type == ElementType.Float32 ? 1e-5 : 1e-2;

    public override string ToString() =>
        $"FlashCase(seed {Seed}, [{B},{H},{S},{D}] {Type} {Level}, M {M}, N {N}, text {ValidText}/{Text}, rows [{QueryStart}, +{QueryCount}), rectify {Rectify}, scale {Scale})";

    /// <summary>
    /// Random cases: B 1-2, H 1-3, S up to <paramref name="maxSequence"/>, D in {1, 8, 63, 64, 128}, block sizes from 1 to
    /// past a query tile (partial last blocks are the common case), text slots with valid &lt;= total, all element types
    /// and vector widths.
    /// </summary>
    public static Arbitrary<FlashCase> Arbitrary(int maxSequence) =>
        (from seed in Gen.Choose(0, int.MaxValue)
         from b in Gen.Choose(1, 2)
         from h in Gen.Choose(1, 3)
         from s in Gen.Choose(1, maxSequence)
         from d in Gen.Elements(1, 8, 63, 64, 128)
         from m in Gen.Frequency((3, Gen.Choose(1, 80)), (1, Gen.Elements(64, 128, 130)))
         from n in Gen.Frequency((3, Gen.Choose(1, 80)), (1, Gen.Elements(64, 128)))
         from textShare in Gen.Frequency((1, Gen.Constant(0)), (2, Gen.Choose(1, 24)))
         from validShare in Gen.Choose(0, 100)
         from type in Gen.Elements(ElementType.Float32, ElementType.Float16, ElementType.BFloat16)
         from level in Gen.Elements(SimdLevel.Scalar, SimdLevel.Vector128, SimdLevel.Vector256, SimdLevel.Vector512)
         from startShare in Gen.Frequency((2, Gen.Constant(0)), (1, Gen.Choose(0, 100)))
         from countShare in Gen.Frequency((2, Gen.Constant(100)), (1, Gen.Choose(0, 100)))
         from rectify in Gen.Elements(true, false)
         from scale in Gen.Elements(0.5, 1.0, 2.0)
         let text = Math.Min(textShare, s - 1)
         let valid = text * validShare / 100
         let start = s * startShare / 100
         let count = (s - start) * countShare / 100
         select new FlashCase(seed, b, h, s, d, m, n, text, valid, type, level, start, count, rectify, scale))
        .ToArbitrary();

    /// <summary>Runs <paramref name="property"/> on <paramref name="count"/> random cases; FsCheck prints the failing case.</summary>
    public static void Check(int count, int maxSequence, Action<FlashCase> property) =>
        Prop.ForAll(Arbitrary(maxSequence), property).Check(Config.QuickThrowOnFailure.WithMaxTest(count).WithQuietOnSuccess(true));
}
