using System.Numerics.Tensors;

namespace RectifiedSpaAttn.Reference;

/// <summary>
/// Exact token-level attention of some query rows of one head over a set of key ranges, in fp64: the softmax of
/// <c>q_t . k_u / sqrt(D)</c> over every key u in the ranges, times V. Each row keeps only its own logits (one row of at
/// most S values), never an S x S matrix.
/// </summary>
internal static class TokenAttention
{
    /// <summary>
    /// Writes the attention output of query rows <c>[rowStart, rowStart + rowCount)</c> into <paramref name="output"/>.
    /// A row with no keys at all gets a zero output (an empty softmax has no weights).
    /// </summary>
    /// <param name="q">The head's queries, <c>[S, D]</c> row-major.</param>
    /// <param name="k">The head's keys, <c>[S, D]</c>.</param>
    /// <param name="v">The head's values, <c>[S, D]</c>.</param>
    /// <param name="headDim">D.</param>
    /// <param name="rowStart">First query row.</param>
    /// <param name="rowCount">Number of query rows.</param>
    /// <param name="keys">The key ranges every one of these rows attends to.</param>
    /// <param name="sqrtHeadDim"><c>sqrt(D)</c>: logits are divided by it (the scale <c>1/sqrt(D)</c>).</param>
    /// <param name="logits">Scratch of at least the total key count.</param>
    /// <param name="output">The head's output, <c>[S, D]</c>; only the given rows are written.</param>
    public static void Attend(
        ReadOnlySpan<double> q, ReadOnlySpan<double> k, ReadOnlySpan<double> v, int headDim,
        int rowStart, int rowCount, ReadOnlySpan<KeyRange> keys, double sqrtHeadDim, Span<double> logits, Span<double> output)
    {
        int total = 0;
        foreach (KeyRange range in keys) total += range.Length;
        Span<double> w = logits[..total];

        for (int row = rowStart; row < rowStart + rowCount; row++)
        {
            ReadOnlySpan<double> qRow = q.Slice(row * headDim, headDim);
            Span<double> outRow = output.Slice(row * headDim, headDim);
            outRow.Clear();
            if (total == 0) continue;

            int n = 0;
            foreach (KeyRange range in keys)
                for (int u = range.Start; u < range.Start + range.Length; u++)
                    w[n++] = VectorMath.Dot(qRow, k.Slice(u * headDim, headDim)) / sqrtHeadDim;

            // Softmax with the row maximum subtracted: every weight is in (0, 1] and the largest is exactly 1.
            double max = TensorPrimitives.Max(w);
            TensorPrimitives.Subtract(w, max, w);
            TensorPrimitives.Exp(w, w);
            double sum = TensorPrimitives.Sum(w);

            n = 0;
            foreach (KeyRange range in keys)
                for (int u = range.Start; u < range.Start + range.Length; u++)
                    VectorMath.MultiplyAdd(outRow, v.Slice(u * headDim, headDim), w[n++]);
            TensorPrimitives.Divide(outRow, sum, outRow);
        }
    }
}
