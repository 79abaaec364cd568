using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace RectifiedSpaAttn.Kernels.CpuNative;

/// <summary>
/// Working memory of the host estimation steps. Per thread (<see cref="ThreadStaticAttribute"/>), grown and never shrunk,
/// so steady-state rows allocate nothing: floats on the pinned object heap (stable addresses without <c>fixed</c>) and the
/// selection's sort keys. A work item asks once for everything it needs and carves its regions from that.
/// </summary>
internal static unsafe class EstimationScratch
{
    [ThreadStatic] private static float[]? t_floats;
    [ThreadStatic] private static ulong[]? t_keys;

    /// <summary>This thread's float scratch, at least <paramref name="count"/> floats, contents undefined.</summary>
    public static float* Floats(long count)
    {
        if (count > Array.MaxLength) throw new ArgumentOutOfRangeException(nameof(count), count, "Estimation scratch larger than one array.");
        float[]? floats = t_floats;
        if (floats is null || floats.Length < count)
            t_floats = floats = GC.AllocateUninitializedArray<float>((int)Math.Max(count, 2L * (floats?.Length ?? 0)), pinned: true);
        return (float*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(floats));
    }

    /// <summary>This thread's sort keys, at least <paramref name="count"/> of them, contents undefined.</summary>
    public static Span<ulong> Keys(int count)
    {
        ulong[]? keys = t_keys;
        if (keys is null || keys.Length < count) t_keys = keys = new ulong[Math.Max(count, 2 * (keys?.Length ?? 0))];
        return keys.AsSpan(0, count);
    }
}

/// <summary>
/// Block statistics of every head transposed to <c>[head, D, Stride]</c> (feature-major, columns zero-padded to a
/// multiple of the vector width), so that one vector load reads one feature of <see cref="Stride"/>-aligned consecutive
/// columns. The per-row steps then vectorise across columns, each lane summing its own dot product over features in the
/// kernels' order. Native memory, freed by <see cref="Dispose"/>.
/// </summary>
internal sealed unsafe class TransposedColumns : IDisposable
{
    private float* _data;

    /// <summary>Allocates <paramref name="heads"/> x <paramref name="dim"/> x <paramref name="stride"/> floats (zeroed).</summary>
    public TransposedColumns(int heads, int dim, int stride)
    {
        Dim = dim;
        Stride = stride;
        nuint bytes = (nuint)((long)heads * dim * stride * sizeof(float));
        _data = (float*)NativeMemory.AlignedAlloc(Math.Max(bytes, 64), 64);
        NativeMemory.Clear(_data, bytes);
    }

    /// <summary>Features per column.</summary>
    public int Dim { get; }

    /// <summary>Floats between consecutive features of one head (columns rounded up to the vector width).</summary>
    public int Stride { get; }

    /// <summary>The first float of <paramref name="head"/>'s block, <c>[D, Stride]</c>.</summary>
    public float* Head(int head) => _data + (long)head * Dim * Stride;

    /// <summary>Writes <paramref name="count"/> rows of <see cref="Dim"/> floats as columns <c>[first, first + count)</c> of a head.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Scatter(float* rows, int count, int dim, float* head, int stride, int first)
    {
        for (int c = 0; c < count; c++)
        {
            float* row = rows + (long)c * dim;
            float* column = head + first + c;
            for (int d = 0; d < dim; d++) column[(long)d * stride] = row[d];
        }
    }

    /// <summary>Frees the memory.</summary>
    public void Dispose()
    {
        if (_data != null) NativeMemory.AlignedFree(_data);
        _data = null;
    }
}
