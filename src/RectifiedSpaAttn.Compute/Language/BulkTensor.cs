namespace RectifiedSpaAttn.Compute;

/// <summary>
/// The bulk tensor copy engine (TMA, <c>cp.async.bulk.tensor</c>, sm_90): one thread asks for a whole box of a 2D or
/// 3D tensor, described on the host by a <see cref="TensorMap"/>, to be copied into shared memory; completion is
/// signalled to an <see cref="Mbarrier"/> as transaction bytes. Only kernels marked <see cref="RequiresHopperAttribute"/>
/// may use these.
/// </summary>
/// <remarks>
/// The box lands densely in shared memory (inner dimension fastest), each row of <c>boxWidth</c> elements
/// after the previous one; with <see cref="TensorMapSwizzle.Bytes128"/> (rows of exactly 128 bytes) byte offset o of the
/// box is stored at <see cref="Swizzle128"/>(o), which is the layout <see cref="Warpgroup.MmaAsync{T}(System.Span{float}, ArrayView{T}, int, ArrayView{T}, int, bool, int)"/>
/// reads. Elements outside the tensor are written as zeros and still count as transaction bytes: every copy completes
/// <c>boxWidth * boxHeight * boxDepth * sizeof(T)</c> bytes on the barrier. The destination must be 1024-byte
/// aligned for the 128-byte swizzle (128-byte aligned otherwise). The CPU emulation copies at once and completes the
/// bytes on the barrier then.
/// </remarks>
public static class BulkTensor
{
    /// <summary><c>cp.async.bulk.tensor.2d.shared::cluster.global.tile.mbarrier::complete_tx::bytes</c>: the box whose first element is (<paramref name="x"/>, <paramref name="y"/>) (x along the inner dimension) into element <paramref name="index"/> of <paramref name="destination"/>.</summary>
    public static void Load2D<T>(ArrayView<T> destination, int index, TensorMap map, int x, int y, ArrayView<ulong> barriers, int barrier)
        where T : unmanaged => throw new KernelOnlyException("BulkTensor.Load2D");

    /// <summary>The 3D form of <see cref="Load2D{T}"/>: the box starting at (<paramref name="x"/>, <paramref name="y"/>, <paramref name="z"/>).</summary>
    public static void Load3D<T>(ArrayView<T> destination, int index, TensorMap map, int x, int y, int z, ArrayView<ulong> barriers, int barrier)
        where T : unmanaged => throw new KernelOnlyException("BulkTensor.Load3D");

    /// <summary><c>fence.proxy.async.shared::cta</c>: makes this thread's ordinary shared-memory writes (and barrier initialisation) visible to the copy engine and to <c>wgmma</c>; follow it with a barrier.</summary>
    public static void FenceProxyAsync() => throw new KernelOnlyException("BulkTensor.FenceProxyAsync");

    /// <summary>
    /// The 128-byte swizzle of a byte offset from a 1024-byte aligned base: <c>offset ^ (((offset &gt;&gt; 7) &amp; 7) &lt;&lt; 4)</c>
    /// (the 16-byte chunk index within each 128-byte row is xored with the row index modulo 8). Works on the host too.
    /// </summary>
    public static int Swizzle128(int byteOffset) => byteOffset ^ (((byteOffset >> 7) & 7) << 4);
}
