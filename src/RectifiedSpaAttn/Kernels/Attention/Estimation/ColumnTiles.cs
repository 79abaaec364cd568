using RectifiedSpaAttn.Compute;

namespace RectifiedSpaAttn.Kernels.Attention.Estimation;

/// <summary>
/// Geometry of the shared-memory tiles through which the per-row kernels read rows of block statistics. A thread that
/// walked its own column's row in global memory would make every warp load touch 32 cache lines (rows are D floats
/// apart); staging <see cref="Columns"/> rows x <see cref="Features"/> features at a time lets a warp load 32
/// consecutive floats of one row (one 128-byte line) instead. Rows are padded to <see cref="Stride"/> floats so that the
/// threads reading "their" row at the same feature hit 32 different banks.
/// </summary>
internal static class ColumnTiles
{
    /// <summary>Columns (rows of statistics) per tile: one per thread of the group, so the group size must equal it.</summary>
    public const int Columns = 128;

    /// <summary>Features per tile: one cache line of floats.</summary>
    public const int Features = 32;

    /// <summary>Floats between consecutive columns of a tile (one of padding).</summary>
    public const int Stride = Features + 1;

    /// <summary>Floats of one tile.</summary>
    public const int Length = Columns * Stride;
}
