namespace RectifiedSpaAttn.Tensors;

/// <summary>
/// Refuses NaN and infinity in floating-point data, naming the first offending index: the one check behind device
/// uploads and the exact reference's inputs.
/// </summary>
internal static class FiniteCheck
{
    /// <summary>Throws when <paramref name="data"/> (row-major with <paramref name="shape"/>) holds a non-finite float; other element types pass.</summary>
    /// <param name="data">The elements.</param>
    /// <param name="shape">Their shape, for the multi-index in the message.</param>
    /// <param name="name">What the message calls the tensor (q, k, v).</param>
    /// <param name="parameterName">The exception's parameter name; <paramref name="name"/> when null.</param>
    /// <exception cref="ArgumentException">A NaN or infinity; the message gives the tensor and its multi-index.</exception>
    public static void Require<T>(ReadOnlySpan<T> data, ReadOnlySpan<int> shape, string name, string? parameterName = null) where T : unmanaged
    {
        long bad = FirstNonFinite(data);
        if (bad < 0) return;
        double value = ToDouble(data[(int)bad]);
        throw new ArgumentException(
            $"{name} contains {value} at {IndexText(bad, shape)}; attention inputs must be finite.", parameterName ?? name);
    }

    private static long FirstNonFinite<T>(ReadOnlySpan<T> data) where T : unmanaged
    {
        if (typeof(T) == typeof(double))
        {
            var doubles = System.Runtime.InteropServices.MemoryMarshal.Cast<T, double>(data);
            for (int i = 0; i < doubles.Length; i++) if (!double.IsFinite(doubles[i])) return i;
        }
        else if (typeof(T) == typeof(float))
        {
            var floats = System.Runtime.InteropServices.MemoryMarshal.Cast<T, float>(data);
            for (int i = 0; i < floats.Length; i++) if (!float.IsFinite(floats[i])) return i;
        }
        else if (typeof(T) == typeof(Half))
        {
            var halves = System.Runtime.InteropServices.MemoryMarshal.Cast<T, Half>(data);
            for (int i = 0; i < halves.Length; i++) if (!Half.IsFinite(halves[i])) return i;
        }
        else if (typeof(T) == typeof(Numerics.BFloat16))
        {
            // bf16 is the top half of an fp32: exponent bits all ones means infinity or NaN.
            var bits = System.Runtime.InteropServices.MemoryMarshal.Cast<T, ushort>(data);
            for (int i = 0; i < bits.Length; i++) if ((bits[i] & 0x7F80) == 0x7F80) return i;
        }
        return -1;
    }

    private static double ToDouble<T>(T value) where T : unmanaged => value switch
    {
        double d => d,
        float f => f,
        Half h => (double)h,
        Numerics.BFloat16 b => (double)(float)b,
        _ => double.NaN,
    };

    private static string IndexText(long flat, ReadOnlySpan<int> shape)
    {
        var index = new long[shape.Length];
        for (int d = shape.Length - 1; d >= 0; d--)
        {
            int extent = Math.Max(shape[d], 1);
            index[d] = flat % extent;
            flat /= extent;
        }
        string suffix = shape.Length == 4 ? " (index [b, h, s, d])" : "";
        return "[" + string.Join(", ", index) + "]" + suffix;
    }
}
