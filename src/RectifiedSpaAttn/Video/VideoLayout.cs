using RectifiedSpaAttn.Tensors;

namespace RectifiedSpaAttn.Video;

/// <summary>
/// The token layout of one video grid: reorders the visual tokens of <c>[B, H, S, D]</c> attention inputs along the
/// 3D Gilbert curve (so that every block of consecutive tokens is a compact 3D region) and back, and derives the
/// block-level neighbour mask and first-frame block count that critical-block selection uses.
/// </summary>
/// <remarks>
/// The first <see cref="VideoGrid.TokenCount"/> tokens of a sequence are visual, in row-major grid order before
/// <see cref="Permute{T}(HostTensor{T})"/> and in curve order after it; any tokens after them (text) stay in place.
/// </remarks>
public sealed class VideoLayout
{
    private readonly int[] _curvePositions;
    private readonly int[] _tokensAlongCurve;

    /// <summary>Computes the curve for <paramref name="grid"/> with the given axis order.</summary>
    /// <exception cref="ArgumentException"><paramref name="grid"/> is the empty default value.</exception>
    public VideoLayout(VideoGrid grid, AxisOrder order)
    {
        Grid = grid;
        Order = order;
        _tokensAlongCurve = GilbertCurve.TokensAlongCurve(grid, order);
        _curvePositions = GilbertCurve.Invert(_tokensAlongCurve);
    }

    /// <summary>Computes the curve for <paramref name="grid"/> with the reference's axis order <c>wht</c>.</summary>
    public VideoLayout(VideoGrid grid) : this(grid, AxisOrder.Default) { }

    /// <summary>The video latent grid.</summary>
    public VideoGrid Grid { get; }

    /// <summary>The axis order of the curve.</summary>
    public AxisOrder Order { get; }

    /// <summary>Number of visual tokens, <c>Grid.TokenCount</c>.</summary>
    public int TokenCount => _tokensAlongCurve.Length;

    /// <summary>The curve position of each row-major token (see <see cref="GilbertCurve.CurvePositions"/>).</summary>
    public ReadOnlySpan<int> CurvePositions => _curvePositions;

    /// <summary>The row-major token at each curve position (see <see cref="GilbertCurve.TokensAlongCurve"/>).</summary>
    public ReadOnlySpan<int> TokensAlongCurve => _tokensAlongCurve;

    /// <summary>
    /// Reorders the visual tokens of <paramref name="x"/> (<c>[B, H, S, D]</c>, <c>S &gt;= TokenCount</c>) from
    /// row-major grid order into curve order; tokens after the visual ones are copied unchanged. Returns a new tensor.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="x"/> is not rank 4 or has fewer than <see cref="TokenCount"/> tokens.</exception>
    public HostTensor<T> Permute<T>(HostTensor<T> x) where T : unmanaged => Apply(x, toCurve: true);

    /// <summary>The inverse of <see cref="Permute{T}(HostTensor{T})"/>: puts curve-ordered visual tokens back in row-major order.</summary>
    /// <exception cref="ArgumentException"><paramref name="x"/> is not rank 4 or has fewer than <see cref="TokenCount"/> tokens.</exception>
    public HostTensor<T> Unpermute<T>(HostTensor<T> x) where T : unmanaged => Apply(x, toCurve: false);

    /// <summary>
    /// Reorders one <c>[S, rowLength]</c> slice (row-major tokens of <paramref name="rowLength"/> elements each) from grid
    /// order into curve order; rows after the first <see cref="TokenCount"/> are copied unchanged.
    /// </summary>
    /// <exception cref="ArgumentException">The spans differ in length or overlap, the length is not a multiple of
    /// <paramref name="rowLength"/>, or it holds fewer than <see cref="TokenCount"/> rows.</exception>
    public void Permute<T>(ReadOnlySpan<T> source, Span<T> destination, int rowLength) where T : unmanaged =>
        Apply(source, destination, rowLength, toCurve: true);

    /// <summary>The inverse of <see cref="Permute{T}(ReadOnlySpan{T}, Span{T}, int)"/> for one <c>[S, rowLength]</c> slice.</summary>
    /// <exception cref="ArgumentException">As for <see cref="Permute{T}(ReadOnlySpan{T}, Span{T}, int)"/>.</exception>
    public void Unpermute<T>(ReadOnlySpan<T> source, Span<T> destination, int rowLength) where T : unmanaged =>
        Apply(source, destination, rowLength, toCurve: false);

    /// <summary>
    /// The block neighbour mask <c>[nQ, nK]</c> over the curve-ordered visual tokens: query block i (tokens
    /// <c>[i*M, min((i+1)*M, TokenCount))</c> along the curve) and key block j (likewise with N) are neighbours when
    /// some token of one and some token of the other are equal or 26-neighbours in the grid (differ by at most 1 in each
    /// of t, y, x). With equal block sizes the mask is symmetric and its diagonal is true.
    /// </summary>
    /// <param name="queryBlockSize">Query block size M.</param>
    /// <param name="keyBlockSize">Key block size N.</param>
    /// <exception cref="ArgumentOutOfRangeException">A block size is not positive.</exception>
    public HostTensor<bool> BlockNeighbors(int queryBlockSize, int keyBlockSize) =>
        BlockNeighborMask.Build(Grid, _curvePositions, queryBlockSize, keyBlockSize);

    /// <summary>
    /// The number of key blocks in the first frame, <c>F = floor(nK / T)</c> with <c>nK = ceil(TokenCount / N)</c>,
    /// the convention of the reference pipeline for Wan (image-to-video and text-to-video).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="keyBlockSize"/> is not positive.</exception>
    /// <exception cref="ArgumentException"><paramref name="grid"/> is the empty default value.</exception>
    public static int FirstFrameBlocks(VideoGrid grid, int keyBlockSize)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(keyBlockSize);
        if (grid.TokenCount == 0) throw new ArgumentException("The grid is empty (default VideoGrid).", nameof(grid));
        int keyBlocks = (int)(((long)grid.TokenCount + keyBlockSize - 1) / keyBlockSize);
        return keyBlocks / grid.Frames;
    }

    private HostTensor<T> Apply<T>(HostTensor<T> x, bool toCurve) where T : unmanaged
    {
        ArgumentNullException.ThrowIfNull(x);
        if (x.Rank != 4)
            throw new ArgumentException($"Expected a [B, H, S, D] tensor; got rank {x.Rank} shape {x.ShapeText}.", nameof(x));
        int tokens = x.Shape[2], rowLength = x.Shape[3];
        CheckTokens(tokens, x.ShapeText, nameof(x));
        var result = new HostTensor<T>(x.Shape);
        int slices = x.Shape[0] * x.Shape[1];
        long sliceLength = (long)tokens * rowLength;
        if (slices == 0 || sliceLength == 0) return result;
        T[] source = x.Data, destination = result.Data;
        // Slices are independent; go parallel only when there is enough work to pay for it.
        if (slices > 1 && sliceLength * slices >= 1 << 20)
        {
            Parallel.For(0, slices, s => Gather(source.AsSpan((int)(s * sliceLength), (int)sliceLength),
                destination.AsSpan((int)(s * sliceLength), (int)sliceLength), rowLength, toCurve));
        }
        else
        {
            for (int s = 0; s < slices; s++)
                Gather(source.AsSpan((int)(s * sliceLength), (int)sliceLength),
                    destination.AsSpan((int)(s * sliceLength), (int)sliceLength), rowLength, toCurve);
        }
        return result;
    }

    private void Apply<T>(ReadOnlySpan<T> source, Span<T> destination, int rowLength, bool toCurve) where T : unmanaged
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(rowLength);
        if (source.Length != destination.Length)
            throw new ArgumentException($"Source has {source.Length} elements but destination has {destination.Length}.", nameof(destination));
        if (source.Length % rowLength != 0)
            throw new ArgumentException($"Source length {source.Length} is not a multiple of the row length {rowLength}.", nameof(source));
        if (source.Overlaps(destination))
            throw new ArgumentException("Source and destination overlap; the reordering cannot be done in place.", nameof(destination));
        CheckTokens(source.Length / rowLength, $"[{source.Length / rowLength}, {rowLength}]", nameof(source));
        Gather(source, destination, rowLength, toCurve);
    }

    private void CheckTokens(int tokens, string shape, string paramName)
    {
        if (tokens < TokenCount)
            throw new ArgumentException(
                $"Shape {shape} has {tokens} tokens, fewer than the {TokenCount} visual tokens of the {Grid} grid.", paramName);
    }

    private void Gather<T>(ReadOnlySpan<T> source, Span<T> destination, int rowLength, bool toCurve) where T : unmanaged
    {
        int n = TokenCount;
        if (toCurve)
        {
            for (int c = 0; c < n; c++)
                source.Slice(_tokensAlongCurve[c] * rowLength, rowLength).CopyTo(destination.Slice(c * rowLength, rowLength));
        }
        else
        {
            for (int c = 0; c < n; c++)
                source.Slice(c * rowLength, rowLength).CopyTo(destination.Slice(_tokensAlongCurve[c] * rowLength, rowLength));
        }
        source[(n * rowLength)..].CopyTo(destination[(n * rowLength)..]);
    }
}
