using RectifiedSpaAttn.Compute;
using RectifiedSpaAttn.Numerics;
using RectifiedSpaAttn.Tests.Accelerators;

namespace RectifiedSpaAttn.Tests.Compiler;

/// <summary>
/// What the corpus tests share: the backends to run on, random inputs, NaN-poisoned outputs, and error measures
/// against fp64 host references.
/// </summary>
internal static class CorpusSupport
{
    /// <summary>Every backend; each test returns early where its accelerator is absent (see <see cref="TestAccelerators"/>).</summary>
    public static TheoryData<AcceleratorKind> Kinds => TestAccelerators.AllKinds;

    /// <summary>Every backend with every one of <paramref name="values"/> (element types, tile sizes...).</summary>
    public static TheoryData<AcceleratorKind, T> PerKind<T>(params T[] values)
    {
        var data = new TheoryData<AcceleratorKind, T>();
        foreach (AcceleratorKind kind in TestAccelerators.Every)
            foreach (T value in values) data.Add(kind, value);
        return data;
    }

    /// <summary>Every backend with every pair of <paramref name="first"/> and <paramref name="second"/>.</summary>
    public static TheoryData<AcceleratorKind, T1, T2> PerKind<T1, T2>(T1[] first, T2[] second)
    {
        var data = new TheoryData<AcceleratorKind, T1, T2>();
        foreach (AcceleratorKind kind in TestAccelerators.Every)
            foreach (T1 a in first)
                foreach (T2 b in second) data.Add(kind, a, b);
        return data;
    }

    /// <summary>The names of the float element types the corpus kernels are specialised for.</summary>
    public static readonly string[] FloatTypes = ["float", "half", "bfloat16"];

    /// <summary>
    /// The shared accelerator of <paramref name="kind"/>, or null when the test must not run: the backend is absent
    /// here, or <paramref name="variant"/> says OpenCL cannot run it (the corpus expectations for that are checked
    /// separately in <see cref="CorpusCatalogTests"/>).
    /// </summary>
    public static Accelerator? Accelerator(AcceleratorKind kind, KernelVariant variant, ITestOutputHelper output)
    {
        if (kind == AcceleratorKind.OpenCL && variant.OpenCLUnsupportedReason is { } reason)
        {
            output.WriteLine($"{variant.DisplayName} does not run on OpenCL: {reason}");
            return null;
        }
        return TestAccelerators.Shared(kind, output);
    }

    /// <summary>A fresh seed, written to the test output so a failure can be replayed.</summary>
    public static Random NewRandom(ITestOutputHelper output, out int seed)
    {
        seed = TestAccelerators.NewSeed();
        output.WriteLine($"seed {seed}");
        return new Random(seed);
    }

    /// <summary>Uniform floats in [lo, hi).</summary>
    public static float[] Uniform(Random rng, int count, float lo = -1f, float hi = 1f) =>
        [.. Enumerable.Range(0, count).Select(_ => lo + (hi - lo) * rng.NextSingle())];

    /// <summary>A device buffer holding <paramref name="values"/>.</summary>
    public static DeviceBuffer<T> Upload<T>(Accelerator accelerator, T[] values) where T : unmanaged
    {
        DeviceBuffer<T> buffer = accelerator.Allocate<T>(values.Length);
        buffer.CopyFrom(values);
        return buffer;
    }

    /// <summary>A device buffer of <paramref name="count"/> elements filled with NaN, so unwritten elements show.</summary>
    public static DeviceBuffer<T> Poisoned<T>(Accelerator accelerator, int count) where T : unmanaged
    {
        DeviceBuffer<T> buffer = accelerator.Allocate<T>(count);
        buffer.Fill(NaN<T>());
        return buffer;
    }

    /// <summary>NaN of a float type; 0xDEADBEEF-style garbage for integer types.</summary>
    public static T NaN<T>() where T : unmanaged
    {
        if (typeof(T) == typeof(float)) return (T)(object)float.NaN;
        if (typeof(T) == typeof(Half)) return (T)(object)Half.NaN;
        if (typeof(T) == typeof(BFloat16)) return (T)(object)BFloat16.NaN;
        if (typeof(T) == typeof(int)) return (T)(object)unchecked((int)0xDEADBEEF);
        if (typeof(T) == typeof(uint)) return (T)(object)0xDEADBEEFu;
        throw new NotSupportedException(typeof(T).Name);
    }

    /// <summary>Values of an element type as doubles.</summary>
    public static double[] ToDoubles<T>(T[] values) where T : unmanaged => [.. values.Select(v => (double)Element.ToFloat(v))];

    /// <summary>Values rounded to the element type (nearest even), as the kernel will see them.</summary>
    public static T[] Round<T>(float[] values) where T : unmanaged => [.. values.Select(Element.FromFloat<T>)];

    /// <summary>Unit roundoff of an element type: the largest relative error of one rounding.</summary>
    public static double UnitRoundoff<T>() where T : unmanaged =>
        typeof(T) == typeof(BFloat16) ? Math.Pow(2, -8) : typeof(T) == typeof(Half) ? Math.Pow(2, -11) : Math.Pow(2, -24);

    /// <summary>
    /// Asserts ||actual - expected||_2 / ||expected||_2 &lt;= <paramref name="relativeL2"/> with every element finite,
    /// and reports both the relative L2 and the largest absolute error (with its index) either way.
    /// </summary>
    public static void AssertClose(ReadOnlySpan<double> expected, ReadOnlySpan<double> actual, double relativeL2, string context, ITestOutputHelper output)
    {
        Assert.Equal(expected.Length, actual.Length);
        double diff2 = 0, ref2 = 0, maxAbs = 0;
        int worst = -1;
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.False(!double.IsFinite(actual[i]), $"{context}: element {i} is {actual[i]} (expected {expected[i]}): unwritten or overflowed");
            double d = actual[i] - expected[i];
            diff2 += d * d;
            ref2 += expected[i] * expected[i];
            if (Math.Abs(d) > maxAbs) { maxAbs = Math.Abs(d); worst = i; }
        }
        double rel = ref2 == 0 ? Math.Sqrt(diff2) : Math.Sqrt(diff2 / ref2);
        string summary = $"{context}: relative L2 {rel:E3} (limit {relativeL2:E1}), max abs {maxAbs:E3}"
                         + (worst >= 0 ? $" at {worst} (got {actual[worst]}, expected {expected[worst]})" : "");
        output.WriteLine(summary);
        Assert.True(rel <= relativeL2, summary);
    }
}
