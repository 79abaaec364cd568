using RectifiedSpaAttn.Kernels.Attention.Flash.Hopper;
using RectifiedSpaAttn.Kernels.Attention;
using RectifiedSpaAttn.Reference;
using RectifiedSpaAttn.Tensors;

namespace RectifiedSpaAttn.Tests.Kernels.Flash.TensorCore;

/// <summary>How a sparse case's critical mask is drawn.</summary>
internal enum MaskKind
{
    /// <summary>Per row: empty, full or random density (shuffled list order).</summary>
    Random,
    /// <summary>No key block at all: only the text keys are attended.</summary>
    Empty,
    /// <summary>Every key block.</summary>
    Full,
}

/// <summary>
/// One tensor-core flash-attention problem: shape, layout, 16-bit element type, the dense query range, the sparse mask
/// kind, whether the sparse epilogue rectifies, and the tuning knobs (query tile, rows per warp, K/V pipeline stages;
/// null is the launcher's default). Shapes stay small (the CPU accelerator emulates every mma), yet
/// cover both head dims, both block sizes, partial last blocks and text keys that end mid-tile.
/// </summary>
internal sealed record TensorCoreFlashCase(
    int B, int H, int S, int D, int M, int N, int Text, int ValidText, ElementType Type, int QueryStart, int QueryCount,
    bool Rectify, MaskKind Mask, int? TileRows = null, int? WarpRows = null, int Stages = 1)
{
    public AttentionShape Shape => new(B, H, S, D, Text, ValidText, M, N);

    public BlockLayout Layout => new(S, Text, ValidText, M, N);

    /// <summary>
    /// The Hopper kernel's knobs for this case, so its cases cover them all: a ring of <see cref="Stages"/> + 1; a query
    /// tile of 64 turns ping-pong on with two dense consumers (the default tile takes the most: 3 at D = 64); rows per
    /// warp set means one group per tile, else a persistent grid; rings of 2 and 4 (Hopper-only cases at D = 64) have
    /// stages of 3 segments, a ring of 3 of 2.
    /// </summary>
    public HopperFlashTuning HopperTuning => new(Stages + 1, PingPong: TileRows is not null, DenseConsumers: TileRows is not null ? 2 : null,
        Persistent: WarpRows is null, Segments: Stages == 2 ? 2 : 3);

    /// <summary>The relative L2 bound: P and the output are rounded to 16 bits (expected ~2e-3).</summary>
    public const double Tolerance = 1e-2;

    public override string ToString() =>
        $"[{B},{H},{S},{D}] {Type}, M {M}, N {N}, text {ValidText}/{Text}, rows [{QueryStart}, +{QueryCount}), mask {Mask}, rectify {Rectify}, tile {TileRows?.ToString() ?? "M"}, warp rows {WarpRows?.ToString() ?? "default"}, stages {Stages}";

    /// <summary>Dense cases: both head dims and block sizes, partial tiles, invalid text rows, a query range mid-sequence.</summary>
    public static readonly TensorCoreFlashCase[] Dense =
    [
        new(1, 2, 200, 64, 64, 64, 0, 0, ElementType.Float16, 0, 200, false, MaskKind.Full),
        new(1, 1, 190, 128, 128, 128, 30, 13, ElementType.BFloat16, 0, 190, false, MaskKind.Full),
        new(2, 1, 150, 64, 128, 64, 20, 20, ElementType.BFloat16, 37, 100, false, MaskKind.Full),
        new(1, 1, 130, 128, 64, 128, 9, 4, ElementType.Float16, 0, 130, false, MaskKind.Full),
        new(1, 1, 100, 64, 64, 64, 36, 0, ElementType.Float16, 50, 50, false, MaskKind.Full),
        new(1, 2, 170, 128, 128, 64, 11, 6, ElementType.BFloat16, 0, 170, false, MaskKind.Full, 64),
        // The knobs: 16 rows per warp at D = 64, and the two-stage K/V ring (several key tiles, so both stages turn over).
        new(1, 1, 200, 64, 128, 64, 20, 9, ElementType.BFloat16, 0, 200, false, MaskKind.Full, null, 16),
        new(1, 1, 300, 128, 128, 128, 30, 13, ElementType.Float16, 0, 300, false, MaskKind.Full, null, null, 2),
        new(1, 2, 230, 64, 128, 64, 11, 6, ElementType.BFloat16, 37, 150, false, MaskKind.Full, 64, 16, 2),
        new(1, 1, 260, 64, 64, 128, 0, 0, ElementType.Float16, 0, 260, false, MaskKind.Full, null, 32, 2),
        // 32 rows per warp at D = 128 (Q resident in shared memory), with one and two stages.
        new(1, 1, 200, 128, 128, 64, 20, 9, ElementType.BFloat16, 0, 200, false, MaskKind.Full, null, 32),
        new(1, 2, 230, 128, 128, 128, 11, 6, ElementType.Float16, 37, 150, false, MaskKind.Full, 64, 32, 2),
    ];

    /// <summary>Sparse cases: random, empty and full masks, rectification on and off, M &lt; N and M &gt; N.</summary>
    public static readonly TensorCoreFlashCase[] Sparse =
    [
        new(1, 2, 200, 64, 64, 64, 0, 0, ElementType.Float16, 0, 0, true, MaskKind.Random),
        new(1, 1, 190, 128, 128, 128, 30, 13, ElementType.BFloat16, 0, 0, false, MaskKind.Random),
        new(1, 1, 150, 64, 128, 64, 20, 7, ElementType.Float16, 0, 0, true, MaskKind.Empty),
        new(1, 1, 150, 64, 128, 64, 0, 0, ElementType.BFloat16, 0, 0, true, MaskKind.Empty),
        new(1, 1, 130, 128, 64, 128, 9, 4, ElementType.Float16, 0, 0, true, MaskKind.Full),
        new(2, 1, 200, 64, 64, 128, 0, 0, ElementType.BFloat16, 0, 0, false, MaskKind.Random),
        new(1, 2, 170, 128, 128, 64, 11, 6, ElementType.Float16, 0, 0, true, MaskKind.Random, 64),
        // The knobs: 16 rows per warp at D = 64, and the two-stage K/V ring over listed blocks and text keys.
        new(1, 1, 300, 64, 128, 64, 30, 13, ElementType.BFloat16, 0, 0, true, MaskKind.Random, null, 16),
        new(1, 1, 300, 128, 128, 64, 30, 21, ElementType.Float16, 0, 0, true, MaskKind.Random, null, null, 2),
        new(1, 1, 260, 64, 128, 128, 20, 20, ElementType.BFloat16, 0, 0, false, MaskKind.Full, 64, 16, 2),
        new(1, 1, 260, 64, 64, 64, 9, 4, ElementType.Float16, 0, 0, true, MaskKind.Random, null, 32, 2),
        new(1, 1, 150, 128, 128, 128, 20, 7, ElementType.BFloat16, 0, 0, false, MaskKind.Empty, null, null, 2),
        new(1, 1, 300, 128, 128, 64, 30, 13, ElementType.Float16, 0, 0, true, MaskKind.Random, null, 32),
        new(1, 1, 260, 128, 64, 128, 9, 4, ElementType.BFloat16, 0, 0, false, MaskKind.Random, null, 32, 2),
    ];

    /// <summary>
    /// A random case within what the kernels support: B * H &lt;= 2, S in [1, 300], both head dims, block sizes, element
    /// types, text slots (valid &lt;= total), a random dense query range (sometimes empty), mask kind, rectification,
    /// query tile (default or 64 rows), rows per warp (default or the other value) and K/V pipeline stages (1 or 2).
    /// </summary>
    public static TensorCoreFlashCase Draw(Random random)
    {
        int b = random.Next(1, 3), h = b == 2 ? 1 : random.Next(1, 3);
        int s = random.Next(1, 301);
        int text = random.Next(3) == 0 ? 0 : Math.Min(random.Next(1, 41), s - 1);
        int valid = random.Next(text + 1);
        int start = random.Next(2) == 0 ? 0 : random.Next(s);
        int count = random.Next(3) == 0 ? random.Next(s - start + 1) : s - start;
        int m = random.Next(2) == 0 ? 64 : 128;
        // The tile knob: the default (the query block) or 64 rows, which splits a block of 128 over two groups.
        int? tile = random.Next(2) == 0 ? null : 64;
        int d = random.Next(2) == 0 ? 64 : 128;
        // The rows-per-warp knob: the default, or the other value (16 at D = 64, 32 at D = 128).
        int? warpRows = random.Next(2) == 0 ? null : d == 64 ? 16 : 32;
        int stages = random.Next(1, 3);
        return new(b, h, s, d, m, random.Next(2) == 0 ? 64 : 128,
            text, valid, random.Next(2) == 0 ? ElementType.Float16 : ElementType.BFloat16, start, count, random.Next(2) == 0,
            (MaskKind)random.Next(3), tile, warpRows, stages);
    }

    /// <summary>
    /// The mask <see cref="Mask"/> asks for and the same mask as the kernel's counts and lists: each row's blocks in
    /// shuffled order (the kernel must not rely on order), the unused tail -1.
    /// </summary>
    public (HostTensor<bool> Mask, int[] Counts, int[] Lists) DrawMask(Random random)
    {
        int nQ = Layout.QueryBlocks, nK = Layout.KeyBlocks, rows = B * H * nQ;
        var mask = new HostTensor<bool>(B, H, nQ, nK);
        var counts = new int[rows];
        var lists = new int[rows * nK];
        Array.Fill(lists, -1);
        for (int row = 0; row < rows; row++)
        {
            double kind = random.NextDouble();
            double density = Mask switch
            {
                MaskKind.Empty => 0,
                MaskKind.Full => 1,
                _ => kind < 0.15 ? 0 : kind < 0.3 ? 1 : random.NextDouble(),
            };
            Span<bool> maskRow = mask.Span.Slice(row * nK, nK);
            var chosen = new List<int>();
            for (int j = 0; j < nK; j++)
                if (density == 1 || random.NextDouble() < density) { maskRow[j] = true; chosen.Add(j); }
            int[] order = [.. chosen];
            random.Shuffle(order);
            counts[row] = order.Length;
            order.CopyTo(lists, row * nK);
        }
        return (mask, counts, lists);
    }
}
