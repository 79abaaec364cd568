using RectifiedSpaAttn.Kernels.CpuNative;
using RectifiedSpaAttn.Numerics;

namespace RectifiedSpaAttn.Tests.Kernels.CpuNative;

/// <summary>The flash kernels' element conversions (<see cref="ElementRows"/>), exhaustively over every 16-bit pattern.</summary>
public sealed unsafe class ElementRowsTests
{
    [Fact]
    public void WideningHalfIsExactForEveryPattern()
    {
        // Every pattern, in one row (the vector body) and again shifted by 3 (a scalar tail and unaligned vectors).
        ushort[] bits = [.. Enumerable.Range(0, 65536).Select(i => (ushort)i)];
        foreach (int shift in new[] { 0, 3 })
        {
            var widened = new float[bits.Length - shift];
            fixed (ushort* source = bits) fixed (float* destination = widened)
                ElementRows.Load((Half*)(source + shift), destination, widened.Length);
            for (int i = 0; i < widened.Length; i++)
            {
                float expected = (float)BitConverter.UInt16BitsToHalf(bits[i + shift]);
                Assert.True(BitConverter.SingleToUInt32Bits(expected) == BitConverter.SingleToUInt32Bits(widened[i]) || (float.IsNaN(expected) && float.IsNaN(widened[i])),
                    $"half 0x{bits[i + shift]:X4}: expected {expected} (0x{BitConverter.SingleToUInt32Bits(expected):X8}), got {widened[i]} (0x{BitConverter.SingleToUInt32Bits(widened[i]):X8}).");
            }
        }
    }

    [Fact]
    public void WideningBFloat16IsExactForEveryPattern()
    {
        ushort[] bits = [.. Enumerable.Range(0, 65536).Select(i => (ushort)i)];
        var widened = new float[bits.Length - 5];
        fixed (ushort* source = bits) fixed (float* destination = widened)
            ElementRows.Load((BFloat16*)(source + 5), destination, widened.Length);
        for (int i = 0; i < widened.Length; i++)
            Assert.Equal(BFloat16.FromBits(bits[i + 5]).ToSingle(), widened[i]);
    }

    [Fact]
    public void StoringRoundsToNearestEven()
    {
        int seed = Random.Shared.Next();
        var random = new Random(seed);
        float[] values = [.. Enumerable.Range(0, 1000).Select(_ => (float)((random.NextDouble() - 0.5) * Math.Pow(2, random.Next(-30, 30))))];
        var halves = new Half[values.Length];
        var brains = new BFloat16[values.Length];
        fixed (float* source = values) fixed (Half* h = halves) fixed (BFloat16* b = brains)
        {
            ElementRows.Store(source, h, values.Length);
            ElementRows.Store(source, b, values.Length);
        }
        for (int i = 0; i < values.Length; i++)
        {
            Assert.True((Half)values[i] == halves[i], $"seed {seed}: {values[i]} stored as half {halves[i]}, expected {(Half)values[i]}.");
            Assert.True(BFloat16.FromSingle(values[i]).RawBits == brains[i].RawBits, $"seed {seed}: {values[i]} stored as bfloat16 {brains[i]}.");
        }
    }
}
