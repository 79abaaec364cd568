using FsCheck;
using FsCheck.Fluent;
using RectifiedSpaAttn.Numerics;
using RectifiedSpaAttn.Tensors;

namespace RectifiedSpaAttn.Tests.Numerics;

/// <summary>fp16 and bf16 conversions of whole host tensors (the paths files and accelerators use).</summary>
public class HalfConversionTests
{
    [Fact]
    public void EveryHalfWidensExactlyAndRoundTripsThroughTensors()
    {
        var all = new Half[65536];
        for (int bits = 0; bits < all.Length; bits++) all[bits] = BitConverter.UInt16BitsToHalf((ushort)bits);
        var tensor = new HostTensor<Half>(all, 256, 256);

        HostTensor<float> widened = tensor.ToSingle();
        HostTensor<Half> back = widened.ConvertTo<Half>();
        for (int bits = 0; bits < all.Length; bits++)
        {
            Half h = all[bits];
            if (Half.IsNaN(h)) { Assert.True(float.IsNaN(widened.Span[bits])); Assert.True(Half.IsNaN(back.Span[bits])); continue; }
            Assert.Equal((double)h, widened.Span[bits]);
            Assert.Equal((ushort)bits, BitConverter.HalfToUInt16Bits(back.Span[bits]));
        }
    }

    [Fact]
    public void TensorNarrowingRoundsLikeTheScalarConversions() =>
        Prop.ForAll(
            Gen.Choose(int.MinValue, int.MaxValue).Select(BitConverter.Int32BitsToSingle).Where(f => !float.IsNaN(f)).ArrayOf().ToArbitrary(),
            values =>
            {
                var t = new HostTensor<float>(values, values.Length);
                HostTensor<Half> h = t.ConvertTo<Half>();
                HostTensor<BFloat16> b = t.ConvertTo<BFloat16>();
                for (int i = 0; i < values.Length; i++)
                {
                    Assert.Equal(BitConverter.HalfToUInt16Bits((Half)values[i]), BitConverter.HalfToUInt16Bits(h.Span[i]));
                    Assert.Equal(BFloat16.FromSingle(values[i]).RawBits, b.Span[i].RawBits);
                }
            }).QuickCheckThrowOnFailure();

    [Fact]
    public void HalfOverflowsToInfinityAndKeepsSubnormals()
    {
        var t = new HostTensor<float>([65520f, 65519f, -1e6f, 5.96e-8f, 2.98e-8f, 1e-9f], 6).ConvertTo<Half>();
        Assert.True(Half.IsPositiveInfinity(t.Span[0]));          // 65520 is the overflow threshold
        Assert.Equal(Half.MaxValue, t.Span[1]);
        Assert.True(Half.IsNegativeInfinity(t.Span[2]));
        Assert.Equal(Half.Epsilon, t.Span[3]);                      // smallest subnormal 2^-24
        Assert.Equal((Half)0, t.Span[5]);
    }
}
