using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace RectifiedSpaAttn.Kernels.CpuNative;

/// <summary>
/// One thread's working memory for flash tiles: the fp32 transposed-query, key, value, score and accumulator tiles plus
/// per-row softmax state. Kept per thread (<see cref="ThreadStaticAttribute"/>) and grown, never shrunk, so steady-state
/// calls allocate nothing; the backing array lives on the pinned object heap so its address is stable without
/// <c>fixed</c>, and every region starts on a 64-byte boundary so full-width vector accesses never split a cache line.
/// </summary>
internal sealed unsafe class FlashScratch
{
    /// <summary>Floats per 64 bytes: regions are rounded to this so each starts cache-line aligned.</summary>
    private const int AlignFloats = 16;

    [ThreadStatic] private static FlashScratch? t_current;

    private float[] _floats = [];
    private float* _base;
    private int[] _ranges = [];
    private readonly nint[] _pointers = GC.AllocateArray<nint>(2 * FlashTile.KeyTile, pinned: true);

    /// <summary>Query tile transposed, <c>[D, Rows]</c>, scaled by <c>1/sqrt(D)</c>; padding rows are zero.</summary>
    public float* QueryT;
    /// <summary>Widened key rows of the tile for 16-bit inputs, <c>[KeyTile, D]</c>.</summary>
    public float* Keys;
    /// <summary>Widened or padded value rows of the tile, <c>[KeyTile, PaddedDim]</c>, padding columns zero.</summary>
    public float* Values;
    /// <summary>Transposed scores, then probabilities, <c>[KeyTile, Rows]</c>.</summary>
    public float* Scores;
    /// <summary>Where each key row of the tile lies (the input itself for fp32, else <see cref="Keys"/>).</summary>
    public float** KeyRows;
    /// <summary>Where each value row of the tile lies (the input itself for fp32 when D fills whole registers, else <see cref="Values"/>).</summary>
    public float** ValueRows;
    /// <summary>Output accumulators, <c>[Rows, PaddedDim]</c>; normalised in place when the tile finishes.</summary>
    public float* Output;
    /// <summary>Running row maxima of the scaled logits.</summary>
    public float* RowMax;
    /// <summary>Running row sums of <c>exp(logit - RowMax)</c>.</summary>
    public float* RowSum;
    /// <summary>Per-row rescale of the accumulators for the current key tile.</summary>
    public float* Alpha;
    /// <summary>One row of <c>max(D, PaddedDim)</c> floats for conversions and epilogues.</summary>
    public float* Row;

    /// <summary>Key ranges as (start, length) pairs, at least as long as asked for in <see cref="For"/>.</summary>
    public int[] Ranges => _ranges;

    /// <summary>
    /// This thread's scratch, sized for tiles of up to <paramref name="rows"/> padded query rows (<see cref="FlashTile.PaddedRows"/>) and head dim
    /// <paramref name="dim"/> padded to <paramref name="paddedDim"/>, with room for <paramref name="rangeInts"/> ints of key ranges.
    /// </summary>
    public static FlashScratch For(int rows, int dim, int paddedDim, int rangeInts)
    {
        FlashScratch scratch = t_current ??= new FlashScratch();
        scratch.Prepare(rows, dim, paddedDim, rangeInts);
        return scratch;
    }

    private void Prepare(int rows, int dim, int paddedDim, int rangeInts)
    {
        long query = Round((long)rows * dim), keys = Round((long)dim * FlashTile.KeyTile), value = Round((long)FlashTile.KeyTile * paddedDim);
        long scores = Round((long)rows * FlashTile.KeyTile), output = Round((long)rows * paddedDim), perRow = Round(rows);
        long row = Round(Math.Max(dim, paddedDim));
        long total = query + keys + value + scores + output + 3 * perRow + row + AlignFloats;
        if (total > int.MaxValue) throw new ArgumentOutOfRangeException(nameof(dim), $"A flash tile of {rows} rows and head dim {dim} needs more scratch than one array holds.");
        if (_floats.Length < total)
        {
            // Pinned so the raw pointers below stay valid for the array's lifetime.
            _floats = GC.AllocateUninitializedArray<float>((int)total, pinned: true);
            nint address = (nint)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(_floats));
            _base = (float*)((address + 63) & ~(nint)63);
        }
        if (_ranges.Length < rangeInts) _ranges = new int[Math.Max(rangeInts, 2 * _ranges.Length)];

        float* p = _base;
        QueryT = p; p += query;
        Keys = p; p += keys;
        Values = p; p += value;
        Scores = p; p += scores;
        Output = p; p += output;
        RowMax = p; p += perRow;
        RowSum = p; p += perRow;
        Alpha = p; p += perRow;
        Row = p;
        KeyRows = (float**)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(_pointers));
        ValueRows = KeyRows + FlashTile.KeyTile;
    }

    private static long Round(long floats) => (floats + AlignFloats - 1) / AlignFloats * AlignFloats;
}
