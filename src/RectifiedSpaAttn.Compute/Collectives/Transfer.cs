namespace RectifiedSpaAttn.Compute.Collectives;

/// <summary>
/// One contiguous copy of a collective exchange: <see cref="Count"/> elements from rank <see cref="SourceRank"/>'s send
/// buffer at <see cref="SourceOffset"/> to rank <see cref="DestinationRank"/>'s receive buffer at
/// <see cref="DestinationOffset"/>. Every rank must build the same list in the same order: transfers between one pair of
/// ranks are matched in list order, as NCCL matches grouped sends and receives.
/// </summary>
/// <param name="SourceRank">The sending rank.</param>
/// <param name="SourceOffset">First element in the sender's buffer.</param>
/// <param name="DestinationRank">The receiving rank (may equal the sender: a local copy).</param>
/// <param name="DestinationOffset">First element in the receiver's buffer.</param>
/// <param name="Count">Elements to move (0 moves nothing).</param>
public readonly record struct Transfer(int SourceRank, long SourceOffset, int DestinationRank, long DestinationOffset, long Count);
