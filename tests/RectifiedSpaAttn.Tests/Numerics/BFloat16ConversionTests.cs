using FsCheck;
using FsCheck.Fluent;
using RectifiedSpaAttn.Numerics;

namespace RectifiedSpaAttn.Tests.Numerics;

/// <summary>
/// bfloat16 rounding against an independent definition: the result is the nearer of the two bfloat16 values that
/// bracket the input (ties to the even one), overflow goes to infinity, NaN stays NaN.
/// </summary>
public class BFloat16ConversionTests
{
    /// <summary>The correctly rounded bfloat16 of <paramref name="x"/>, computed in double from the two candidates.</summary>
    private static ushort ExpectedBits(double x)
    {
        if (double.IsNaN(x)) throw new ArgumentException("NaN has no nearest value");
        // Candidates: the bfloat16 values just below and above |x| (found by truncating the float bits of |x|).
        double magnitude = Math.Abs(x);
        ushort sign = (ushort)(x < 0 || (x == 0 && double.IsNegative(x)) ? 0x8000 : 0);
        // Largest bfloat16 <= magnitude: walk the 15-bit magnitude patterns by binary search (they are ordered).
        int lo = 0, hi = 0x7F80; // 0x7F80 = +inf
        while (lo < hi)
        {
            int mid = (lo + hi + 1) / 2;
            if (Value((ushort)mid) <= magnitude) lo = mid; else hi = mid - 1;
        }
        if (lo == 0x7F80) return (ushort)(sign | 0x7F80);
        double below = Value((ushort)lo);
        // Above MaxValue the next "candidate" is the overflow threshold MaxValue + half an ulp, as IEEE rounding defines.
        double above = lo == 0x7F7F ? double.PositiveInfinity : Value((ushort)(lo + 1));
        if (below == magnitude) return (ushort)(sign | lo);
        if (lo == 0x7F7F)
        {
            double halfUlp = (Value(0x7F7F) - Value(0x7F7E)) / 2;
            return (ushort)(sign | (magnitude >= Value(0x7F7F) + halfUlp ? 0x7F80 : 0x7F7F));
        }
        double dBelow = magnitude - below, dAbove = above - magnitude;
        int chosen = dBelow < dAbove ? lo : dAbove < dBelow ? lo + 1 : (lo % 2 == 0 ? lo : lo + 1);
        return (ushort)(sign | chosen);
    }

    private static double Value(ushort bits) => BitConverter.UInt32BitsToSingle((uint)bits << 16);

    private static Arbitrary<float> AnyFloat() =>
        Gen.Choose(int.MinValue, int.MaxValue).Select(bits => BitConverter.Int32BitsToSingle(bits))
            .Where(f => !float.IsNaN(f)).ToArbitrary();

    [Fact]
    public void FloatRoundsToTheNearestBFloat16TiesToEven() =>
        Prop.ForAll(AnyFloat(), f =>
        {
            ushort actual = BFloat16.FromSingle(f).RawBits, expected = ExpectedBits(f);
            Assert.True(actual == expected, $"{f:R} (0x{BitConverter.SingleToUInt32Bits(f):X8}): got 0x{actual:X4}, expected 0x{expected:X4}");
        }).QuickCheckThrowOnFailure();

    [Fact]
    public void DoubleRoundsOnceNotTwice()
    {
        // A double a hair above a bfloat16 halfway point rounds up, even though (float)x lands exactly on the tie.
        double tie = Value(0x3F80) + (Value(0x3F81) - Value(0x3F80)) / 2; // halfway between 1 and the next bfloat16
        double justAbove = tie + Math.Pow(2, -40);
        Assert.Equal(0x3F81, BFloat16.FromDouble(justAbove).RawBits);
        Assert.Equal(0x3F80, BFloat16.FromDouble(tie).RawBits);      // exact tie: to even (0x3F80)
        Assert.Equal(0x3F80, BFloat16.FromDouble(tie - Math.Pow(2, -40)).RawBits);
        Assert.Equal(0xBF81, BFloat16.FromDouble(-justAbove).RawBits);

        var random = new Random();
        int seed = random.Next();
        var rng = new Random(seed);
        for (int i = 0; i < 20000; i++)
        {
            double x = (rng.NextDouble() - 0.5) * Math.Pow(2, rng.Next(-140, 128));
            Assert.True(ExpectedBits(x) == BFloat16.FromDouble(x).RawBits, $"seed {seed}: {x:R}");
        }
    }

    [Fact]
    public void EveryBFloat16WidensExactlyAndRoundTrips()
    {
        for (int bits = 0; bits <= 0xFFFF; bits++)
        {
            BFloat16 b = BFloat16.FromBits((ushort)bits);
            float f = b.ToSingle();
            Assert.Equal((uint)bits << 16, BitConverter.SingleToUInt32Bits(f));
            BFloat16 back = BFloat16.FromSingle(f);
            if (BFloat16.IsNaN(b)) Assert.True(BFloat16.IsNaN(back), $"0x{bits:X4} lost its NaN");
            else Assert.Equal((ushort)bits, back.RawBits);
        }
    }

    [Fact]
    public void SpecialValuesAndSubnormals()
    {
        Assert.Equal(0x7F80, BFloat16.FromSingle(float.PositiveInfinity).RawBits);
        Assert.Equal(0xFF80, BFloat16.FromSingle(float.NegativeInfinity).RawBits);
        Assert.Equal(0x8000, BFloat16.FromSingle(-0f).RawBits);
        Assert.True(BFloat16.IsNaN(BFloat16.FromSingle(float.NaN)));
        // A signalling NaN whose payload lives only in the low 16 bits must not become infinity.
        Assert.True(BFloat16.IsNaN(BFloat16.FromSingle(BitConverter.UInt32BitsToSingle(0x7F80_0001))));
        Assert.Equal(0x7F80, BFloat16.FromSingle(float.MaxValue).RawBits); // above MaxValue + half ulp
        Assert.Equal(BFloat16.MaxValue.RawBits, BFloat16.FromSingle(BFloat16.MaxValue.ToSingle()).RawBits);
        // Smallest subnormal bfloat16 is 2^-133; half of it ties to even (zero), a bit more rounds up.
        Assert.Equal(Math.Pow(2, -133), BFloat16.Epsilon.ToSingle());
        Assert.Equal(0, BFloat16.FromSingle(MathF.Pow(2, -134)).RawBits);
        Assert.Equal(1, BFloat16.FromSingle(MathF.Pow(2, -134) * 1.5f).RawBits);
        Assert.True(BFloat16.IsFinite(BFloat16.MaxValue) && !BFloat16.IsFinite(BFloat16.PositiveInfinity));
    }

    [Fact]
    public void ComparisonsFollowTheValues()
    {
        Assert.True(BFloat16.FromBits(0x0000) == BFloat16.FromBits(0x8000)); // +0 == -0
        Assert.False(BFloat16.NaN == BFloat16.NaN);
        Assert.True(BFloat16.One > BFloat16.Zero);
        Assert.True(BFloat16.NegativeInfinity < BFloat16.FromSingle(-3e38f));
    }
}
