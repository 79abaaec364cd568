using RectifiedSpaAttn.Numerics;
using RectifiedSpaAttn.Tensors;

namespace RectifiedSpaAttn.Tests.IO;

/// <summary>Random tensors of every element type, from a seed that failure messages print.</summary>
internal static class RandomTensors
{
    public static readonly ElementType[] AllTypes = Enum.GetValues<ElementType>();

    /// <summary>The types npy can hold (all but bf16).</summary>
    public static readonly ElementType[] NpyTypes = AllTypes.Where(t => t != ElementType.BFloat16).ToArray();

    /// <summary>A random shape of rank 0 to 4 with extents 0 to 6 (zeros are rare but present).</summary>
    public static int[] Shape(Random random)
    {
        var shape = new int[random.Next(0, 5)];
        for (int d = 0; d < shape.Length; d++) shape[d] = random.Next(10) == 0 ? 0 : random.Next(1, 7);
        return shape;
    }

    /// <summary>
    /// A tensor of <paramref name="type"/> whose bytes are random: every bit pattern, NaNs and subnormals included,
    /// so a round trip must be bit-exact. Bools are 0 or 1.
    /// </summary>
    public static HostTensor Create(ElementType type, int[] shape, Random random)
    {
        HostTensor tensor = type switch
        {
            ElementType.BFloat16 => Fill(new HostTensor<BFloat16>(shape), random),
            ElementType.Float16 => Fill(new HostTensor<Half>(shape), random),
            ElementType.Float32 => Fill(new HostTensor<float>(shape), random),
            ElementType.Float64 => Fill(new HostTensor<double>(shape), random),
            ElementType.UInt16 => Fill(new HostTensor<ushort>(shape), random),
            ElementType.Int32 => Fill(new HostTensor<int>(shape), random),
            ElementType.Int64 => Fill(new HostTensor<long>(shape), random),
            ElementType.Bool => FillBools(new HostTensor<bool>(shape), random),
            _ => throw new ArgumentOutOfRangeException(nameof(type)),
        };
        return tensor;
    }

    /// <summary>Runs <paramref name="test"/> with a fresh seed; a failure's message starts with the seed.</summary>
    public static void WithFreshSeed(Action<Random> test)
    {
        int seed = Random.Shared.Next();
        try
        {
            test(new Random(seed));
        }
        catch (Exception e)
        {
            throw new Xunit.Sdk.XunitException($"failed with seed {seed}: {e.GetType().Name}: {e.Message}\n{e.StackTrace}");
        }
    }

    /// <summary>Asserts equal element type, shape and bytes (bit-exact, so NaN payloads count).</summary>
    public static void AssertSame(HostTensor expected, HostTensor actual, string what)
    {
        Assert.True(expected.ElementType == actual.ElementType, $"{what}: element type {actual.ElementType}, expected {expected.ElementType}");
        Assert.True(expected.Shape.SequenceEqual(actual.Shape), $"{what}: shape {actual.ShapeText}, expected {expected.ShapeText}");
        Assert.True(expected.AsBytes().SequenceEqual(actual.AsBytes()), $"{what}: the bytes differ");
    }

    private static HostTensor<T> Fill<T>(HostTensor<T> tensor, Random random) where T : unmanaged
    {
        random.NextBytes(tensor.AsWritableBytes());
        return tensor;
    }

    private static HostTensor<bool> FillBools(HostTensor<bool> tensor, Random random)
    {
        foreach (ref bool b in tensor.Span) b = random.Next(2) == 1;
        return tensor;
    }
}
