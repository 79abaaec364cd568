using RectifiedSpaAttn.Compute;

namespace RectifiedSpaAttn.Kernels.Attention.Flash;

/// <summary>The per-tile steps the flash kernels share (inlined into each kernel by the compiler).</summary>
internal static partial class FlashAttentionKernels
{
    /// <summary>Widens this thread's slice of its query row into registers; zeros for a row the tile does not own.</summary>
    private static void LoadQuery<T>(ArrayView<T> q, long rowBase, bool valid, Span<float> query) where T : unmanaged
    {
        for (int d = 0; d < SliceDims; d++) query[d] = valid ? Element.ToFloat(q[rowBase + d]) : 0f;
    }

    /// <summary>
    /// Folds the keys <c>[start, end)</c> of one head into the online softmax state of this thread's row
    /// (<paramref name="rowMax"/> in log2 units, <paramref name="rowSum"/>, <paramref name="acc"/>). Every thread of the
    /// group must call it with the same range: it stages <see cref="KeyTile"/> keys at a time behind barriers.
    /// Two barriers per tile: keys are no longer read once the partial dot products are written, so the next tile's keys
    /// are staged while the values of this one are still being read; the values and partials are overwritten only after
    /// the next tile's first barrier. A call may therefore follow another at once (the next range starts by staging keys).
    /// </summary>
    private static void AttendRange<T>(ArrayView<T> k, ArrayView<T> v, ArrayView<float> keys, ArrayView<float> values,
        ArrayView<float> partials, long headBase, int start, int end, int tid, int row, int slice, float scaleLog2, int headDim,
        Span<float> query, Span<float> acc, ref float rowMax, ref float rowSum) where T : unmanaged
    {
        int sliceBase = slice * SliceDims;
        int partialRow = (slice * TileRows + row) * PartialStride;
        if (start < end) StageTile(k, keys, headBase, start, end, tid, headDim);
        // A while loop, not a for: see the note on the k loop of TiledMatmulKernels.Matmul (non-constant bound).
        int k0 = start;
        while (k0 < end)
        {
            // This tile's keys are visible, and every thread is done with the previous tile's values and partials.
            Group.Barrier();
            StageTile(v, values, headBase, k0, end, tid, headDim);

            // This slice's share of q . k for each key of the tile. The key loops are while loops so that the frontend
            // keeps them rolled (a for loop indexing a register array is unrolled): only the 32-dim loops unroll, which
            // keeps the OpenCL source small enough for pocl to build in seconds rather than minutes.
            int kk = 0;
            while (kk < KeyTile)
            {
                // 16-byte shared reads: all lanes of a warp read the same address (one slice per warp), so each is a
                // broadcast delivering four floats per load instruction.
                float partial = 0f;
                for (int d = 0; d < SliceDims; d += 4)
                {
                    UInt4 kv = VectorMemory.Load16(keys, kk * headDim + sliceBase + d);
                    partial = MathF.FusedMultiplyAdd(query[d], BitConverter.UInt32BitsToSingle(kv.X), partial);
                    partial = MathF.FusedMultiplyAdd(query[d + 1], BitConverter.UInt32BitsToSingle(kv.Y), partial);
                    partial = MathF.FusedMultiplyAdd(query[d + 2], BitConverter.UInt32BitsToSingle(kv.Z), partial);
                    partial = MathF.FusedMultiplyAdd(query[d + 3], BitConverter.UInt32BitsToSingle(kv.W), partial);
                }
                partials[partialRow + kk] = partial;
                kk++;
            }
            // Partials and values are visible, and no thread reads this tile's keys any more.
            Group.Barrier();
            if (k0 + KeyTile < end) StageTile(k, keys, headBase, k0 + KeyTile, end, tid, headDim);

            // Every slice thread of the row sums the same partials, so all hold identical scores without a broadcast.
            float newMax = rowMax;
            kk = 0;
            while (kk < KeyTile)
            {
                if (k0 + kk < end) newMax = MathF.Max(newMax, Score(partials, row, kk, headDim) * scaleLog2);
                kk++;
            }
            // rowMax starts at -1e30 rather than -infinity, so alpha is exp2(very negative) = 0, never exp2(NaN).
            float alpha = XMath.Exp2Fast(rowMax - newMax);
            rowSum *= alpha;
            for (int d = 0; d < SliceDims; d++) acc[d] *= alpha;
            // The scores are summed again rather than kept in a register array, which would force this loop to unroll.
            kk = 0;
            while (kk < KeyTile)
            {
                if (k0 + kk < end)
                {
                    float p = XMath.Exp2Fast(Score(partials, row, kk, headDim) * scaleLog2 - newMax);
                    rowSum += p;
                    for (int d = 0; d < SliceDims; d += 4)
                    {
                        UInt4 vv = VectorMemory.Load16(values, kk * headDim + sliceBase + d);
                        acc[d] = MathF.FusedMultiplyAdd(p, BitConverter.UInt32BitsToSingle(vv.X), acc[d]);
                        acc[d + 1] = MathF.FusedMultiplyAdd(p, BitConverter.UInt32BitsToSingle(vv.Y), acc[d + 1]);
                        acc[d + 2] = MathF.FusedMultiplyAdd(p, BitConverter.UInt32BitsToSingle(vv.Z), acc[d + 2]);
                        acc[d + 3] = MathF.FusedMultiplyAdd(p, BitConverter.UInt32BitsToSingle(vv.W), acc[d + 3]);
                    }
                }
                kk++;
            }
            rowMax = newMax;
            k0 += KeyTile;
        }
    }

    /// <summary>
    /// Copies keys (or values) <c>[first, first + KeyTile)</c> of one head into <paramref name="tile"/> as fp32, the group's
    /// threads taking consecutive elements (coalesced); zeros past <paramref name="end"/>, so nothing out of range is read.
    /// </summary>
    private static void StageTile<T>(ArrayView<T> source, ArrayView<float> tile, long headBase, int first, int end, int tid, int headDim)
        where T : unmanaged
    {
        for (int e = tid; e < KeyTile * headDim; e += TileRows * (headDim / SliceDims))
        {
            int staged = e / headDim;
            int key = first + staged;
            tile[e] = key < end ? Element.ToFloat(source[headBase + (long)key * headDim + (e - staged * headDim)]) : 0f;
        }
    }

    /// <summary>q . k of this thread's row and key <paramref name="kk"/> of the tile: the sum of every slice's partial.</summary>
    private static float Score(ArrayView<float> partials, int row, int kk, int headDim)
    {
        float score = 0f;
        for (int s = 0; s < headDim / SliceDims; s++) score += partials[(s * TileRows + row) * PartialStride + kk];
        return score;
    }

    /// <summary>1 / rowSum, or 0 for a row that attended nothing (its accumulator is 0 too, so the output is 0, not NaN).</summary>
    private static float Normaliser(float rowSum) => rowSum > 0f ? 1f / rowSum : 0f;

    /// <summary>Writes <c>acc * scale</c> to this thread's slice of its output row.</summary>
    private static void StoreRow<T>(ArrayView<T> output, long rowBase, float scale, Span<float> acc) where T : unmanaged
    {
        for (int d = 0; d < SliceDims; d++) output[rowBase + d] = Element.FromFloat<T>(acc[d] * scale);
    }

    /// <summary>Writes <c>r * (acc * scale) + compensation</c>: the rectified output, fused into the store.</summary>
    private static void StoreRectifiedRow<T>(ArrayView<T> output, long rowBase, float scale, float r, Span<float> acc,
        ArrayView<float> compensation, long compensationBase) where T : unmanaged
    {
        for (int d = 0; d < SliceDims; d++)
            output[rowBase + d] = Element.FromFloat<T>(MathF.FusedMultiplyAdd(r, acc[d] * scale, compensation[compensationBase + d]));
    }
}
