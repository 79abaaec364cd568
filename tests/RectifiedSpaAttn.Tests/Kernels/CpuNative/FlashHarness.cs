using RectifiedSpaAttn.Compute;
using RectifiedSpaAttn.Numerics;
using RectifiedSpaAttn.Tensors;

namespace RectifiedSpaAttn.Tests.Kernels.CpuNative;

/// <summary>
/// Moving test data between fp64 reference tensors and CPU-accelerator buffers of the element type under test, and the
/// error measure the flash tests assert on.
/// </summary>
internal static class FlashHarness
{
    /// <summary>
    /// <paramref name="count"/> random values of magnitude in <c>[0.1, 1] * scale</c> with random signs (never zero, so an
    /// unwritten or zeroed element cannot pass for a right one), already rounded to <paramref name="type"/> so the
    /// reference sees exactly what the kernel sees.
    /// </summary>
    public static double[] Values(Random random, long count, double scale, ElementType type)
    {
        var values = new double[count];
        for (long i = 0; i < count; i++)
        {
            double magnitude = (0.1 + 0.9 * random.NextDouble()) * scale;
            values[i] = Round(random.Next(2) == 0 ? magnitude : -magnitude, type);
        }
        return values;
    }

    /// <summary><paramref name="x"/> rounded to the nearest value of <paramref name="type"/>.</summary>
    public static double Round(double x, ElementType type) => type switch
    {
        ElementType.Float32 => (float)x,
        ElementType.Float16 => (double)(Half)x,
        ElementType.BFloat16 => BFloat16.FromDouble(x),
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, "Flash tests cover float, half and bfloat16."),
    };

    /// <summary>A buffer of <typeparamref name="T"/> holding <paramref name="values"/> (exactly representable already).</summary>
    public static DeviceBuffer<T> Upload<T>(Accelerator accelerator, double[] values) where T : unmanaged
    {
        DeviceBuffer<T> buffer = accelerator.Allocate<T>(values.LongLength);
        buffer.CopyFrom(values.Select(From<T>).ToArray());
        return buffer;
    }

    /// <summary>A buffer of <paramref name="length"/> elements filled with NaN, so that elements a kernel leaves unwritten show.</summary>
    public static DeviceBuffer<T> Poisoned<T>(Accelerator accelerator, long length) where T : unmanaged
    {
        DeviceBuffer<T> buffer = accelerator.Allocate<T>(Math.Max(length, 1));
        buffer.Fill(From<T>(double.NaN));
        return buffer;
    }

    /// <summary>The buffer's elements widened to double.</summary>
    public static double[] Download<T>(DeviceBuffer<T> buffer) where T : unmanaged => buffer.ToArray().Select(ToDouble).ToArray();

    public static T From<T>(double x) where T : unmanaged
    {
        if (typeof(T) == typeof(float)) return (T)(object)(float)x;
        if (typeof(T) == typeof(Half)) return (T)(object)(Half)x;
        if (typeof(T) == typeof(BFloat16)) return (T)(object)BFloat16.FromDouble(x);
        if (typeof(T) == typeof(int)) return (T)(object)checked((int)x);
        throw new NotSupportedException(typeof(T).Name);
    }

    public static double ToDouble<T>(T x) where T : unmanaged => x switch
    {
        float f => f,
        Half h => (double)h,
        BFloat16 b => b,
        _ => throw new NotSupportedException(typeof(T).Name),
    };

    /// <summary>
    /// Relative L2 error <c>||a - e|| / ||e||</c> and largest absolute difference over the token rows
    /// <paramref name="rows"/> says to compare (rows of <paramref name="dim"/> elements). NaN anywhere compared makes both NaN.
    /// An all-zero expectation gives the absolute L2 error.
    /// </summary>
    public static (double RelativeL2, double MaxAbs) Error(double[] actual, double[] expected, int dim, Func<long, bool> rows)
    {
        double diff2 = 0, ref2 = 0, maxAbs = 0;
        for (long i = 0; i < expected.LongLength; i++)
        {
            if (!rows(i / dim)) continue;
            double d = actual[i] - expected[i];
            diff2 += d * d;
            ref2 += expected[i] * expected[i];
            maxAbs = double.IsNaN(d) ? double.NaN : Math.Max(maxAbs, Math.Abs(d));
            if (double.IsNaN(maxAbs)) return (double.NaN, double.NaN);
        }
        return (ref2 > 0 ? Math.Sqrt(diff2 / ref2) : Math.Sqrt(diff2), maxAbs);
    }

    /// <summary>The first element in a row <paramref name="rows"/> selects that is not NaN (a write where none belongs), or -1.</summary>
    public static long FirstWritten(double[] actual, int dim, Func<long, bool> rows)
    {
        for (long i = 0; i < actual.LongLength; i++)
            if (rows(i / dim) && !double.IsNaN(actual[i])) return i;
        return -1;
    }
}
