using System.Diagnostics;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace RectifiedSpaAttn.Reference;

/// <summary>
/// The two fp64 vector kernels the reference spends its time in, written out so short head-dim rows (D = 4..128) pay no
/// call overhead beyond the loop itself.
/// </summary>
internal static class VectorMath
{
    /// <summary>Dot product of two equal-length rows, accumulated in fp64.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static double Dot(ReadOnlySpan<double> a, ReadOnlySpan<double> b)
    {
        Debug.Assert(b.Length == a.Length);
        int n = a.Length, i = 0;
        ref double ra = ref MemoryMarshal.GetReference(a);
        ref double rb = ref MemoryMarshal.GetReference(b);
        double sum = 0;
        if (Vector.IsHardwareAccelerated && n >= Vector<double>.Count)
        {
            int w = Vector<double>.Count;
            var acc0 = Vector<double>.Zero;
            var acc1 = Vector<double>.Zero;
            for (; i <= n - 2 * w; i += 2 * w)
            {
                acc0 += Vector.LoadUnsafe(ref ra, (nuint)i) * Vector.LoadUnsafe(ref rb, (nuint)i);
                acc1 += Vector.LoadUnsafe(ref ra, (nuint)(i + w)) * Vector.LoadUnsafe(ref rb, (nuint)(i + w));
            }
            for (; i <= n - w; i += w)
                acc0 += Vector.LoadUnsafe(ref ra, (nuint)i) * Vector.LoadUnsafe(ref rb, (nuint)i);
            sum = Vector.Sum(acc0 + acc1);
        }
        for (; i < n; i++) sum += Unsafe.Add(ref ra, i) * Unsafe.Add(ref rb, i);
        return sum;
    }

    /// <summary><c>acc += weight * x</c>, element-wise over equal-length rows.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void MultiplyAdd(Span<double> acc, ReadOnlySpan<double> x, double weight)
    {
        Debug.Assert(x.Length == acc.Length);
        int n = acc.Length, i = 0;
        ref double racc = ref MemoryMarshal.GetReference(acc);
        ref double rx = ref MemoryMarshal.GetReference(x);
        if (Vector.IsHardwareAccelerated && n >= Vector<double>.Count)
        {
            int w = Vector<double>.Count;
            var vw = new Vector<double>(weight);
            for (; i <= n - w; i += w)
                (Vector.LoadUnsafe(ref racc, (nuint)i) + vw * Vector.LoadUnsafe(ref rx, (nuint)i)).StoreUnsafe(ref racc, (nuint)i);
        }
        for (; i < n; i++) Unsafe.Add(ref racc, i) += weight * Unsafe.Add(ref rx, i);
    }
}
