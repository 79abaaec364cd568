namespace RectifiedSpaAttn.Kernels.Attention.Flash;

/// <summary>
/// The sizes every flash kernel (portable and tensor-core, dense and sparse) takes, as one struct parameter: the kernel
/// compiler flattens it into scalar kernel parameters, and the generated launchers take the struct.
/// </summary>
/// <param name="SequenceLength">Tokens per (b, h): Q, K, V and O are <c>[B, H, SequenceLength, D]</c>.</param>
/// <param name="ValidKeys">Keys <c>[0, ValidKeys)</c> are attended; the rest are invalid text slots.</param>
/// <param name="ScaleLog2">The softmax scale in base-2 units, <c>log2(e) / sqrt(D)</c>.</param>
internal readonly record struct FlashSizes(int SequenceLength, int ValidKeys, float ScaleLog2)
{
    /// <summary>The sizes of <paramref name="shape"/>.</summary>
    public static FlashSizes Of(AttentionShape shape) =>
        new(shape.SequenceLength, shape.ValidKeys, FlashArguments.ScaleLog2(shape.HeadDim));
}

/// <summary>The block layout the block-sparse flash kernels walk, as one struct parameter (see <see cref="FlashSizes"/>).</summary>
/// <param name="VisualTokens">Visual tokens (the query rows the sparse kernels compute); text keys follow them.</param>
/// <param name="QueryBlockSize">Query tokens per block.</param>
/// <param name="KeyBlockSize">Key tokens per block.</param>
/// <param name="QueryBlocks">Query blocks per (b, h): the rows of the counts and lists.</param>
/// <param name="KeyBlocks">Key blocks per (b, h): the capacity of each list.</param>
/// <param name="TilesPerBlock">Groups per query block (grid x is <c>QueryBlocks * TilesPerBlock</c>).</param>
internal readonly record struct FlashBlocks(int VisualTokens, int QueryBlockSize, int KeyBlockSize, int QueryBlocks, int KeyBlocks, int TilesPerBlock)
{
    /// <summary>The block layout of <paramref name="shape"/> with <paramref name="tilesPerBlock"/> groups per query block.</summary>
    public static FlashBlocks Of(AttentionShape shape, int tilesPerBlock) =>
        new(shape.VisualTokens, shape.QueryBlockSize, shape.KeyBlockSize, shape.QueryBlocks, shape.KeyBlocks, tilesPerBlock);
}
