using RectifiedSpaAttn.Numerics;

namespace RectifiedSpaAttn.Generators.Tests.Cpu;

/// <summary>Deterministic random inputs.</summary>
internal static class TestData
{
    /// <summary>Uniform in [-4, 4).</summary>
    public static float[] Floats(int count, int seed)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, count).Select(_ => (float)(random.NextDouble() * 8 - 4)).ToArray();
    }

    public static int[] Ints(int count, int seed, int min, int max)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, count).Select(_ => random.Next(min, max)).ToArray();
    }

    /// <summary>Uniform in [-2, 2) rounded to bf16, as raw bits.</summary>
    public static ushort[] BFloat16Bits(int count, int seed)
        => Floats(count, seed).Select(v => BFloat16.FromSingle(v / 2).RawBits).ToArray();

    /// <summary>Uniform in [-2, 2) rounded to fp16, as raw bits.</summary>
    public static ushort[] HalfBits(int count, int seed)
        => Floats(count, seed).Select(v => BitConverter.HalfToUInt16Bits((Half)(v / 2))).ToArray();
}
