using System.Runtime.Intrinsics;
using RectifiedSpaAttn.Compute;
using RectifiedSpaAttn.Kernels.Attention;
using RectifiedSpaAttn.Kernels.Attention.Flash;

namespace RectifiedSpaAttn.Kernels.CpuNative;

/// <summary>
/// Hand-vectorised host implementations of the flash-attention steps (spec steps 7-9) for the CPU accelerator, used in
/// place of emulating the GPU kernels group by group. Same contract as the GPU kernels minus the launcher: views are
/// CPU-accelerator memory (a view's handle is a host address), element types are <see cref="float"/>,
/// <see cref="Half"/> and <see cref="Numerics.BFloat16"/>, and accumulation is fp32. Both calls are synchronous and
/// parallel over (b, h, query tile).
/// </summary>
internal static unsafe class CpuFlashAttention
{
    /// <summary>
    /// Dense attention for query rows <c>[queryStart, queryStart + queryCount)</c> of every (b, h):
    /// <c>softmax(q.k / sqrt(D))</c> over every valid key <c>[0, ValidKeys)</c> times v, fp32 accumulation; rows at or
    /// past <c>ValidKeys</c> (invalid text slots) are written as zeros. Rows outside the range are not touched.
    /// </summary>
    /// <exception cref="ArgumentException">The shape is inconsistent or a view is too short (<see cref="ArgumentOutOfRangeException"/>: the row range is outside the sequence).</exception>
    /// <exception cref="NotSupportedException"><typeparamref name="T"/> is not float, Half or BFloat16.</exception>
    public static void DenseAttention<T>(AttentionShape shape, ArrayView<T> q, ArrayView<T> k, ArrayView<T> v,
        ArrayView<T> output, int queryStart, int queryCount) where T : unmanaged
        => DenseAttention(shape, q, k, v, output, queryStart, queryCount, SimdLevels.Best);

    /// <summary>
    /// Block-sparse attention for every visual query row: a token of query block i attends, by one softmax, to the tokens
    /// of key blocks <c>lists[b, h, i, 0..counts[b, h, i])</c> and to every valid text key; fp32 accumulation. A row with
    /// nothing to attend gets <c>Os = 0</c>. Epilogue: when <paramref name="rectify"/>,
    /// <c>O = rectification[b, h, i] * Os + compensation[b, h, i, :]</c>, else <c>O = Os</c>. Text rows are not touched.
    /// </summary>
    /// <param name="shape">The sizes.</param>
    /// <param name="q">Q, <c>[B, H, S, D]</c>.</param>
    /// <param name="k">K, <c>[B, H, S, D]</c>.</param>
    /// <param name="v">V, <c>[B, H, S, D]</c>.</param>
    /// <param name="counts">Critical key blocks per query block, <c>[B, H, nQ]</c>, each in <c>[0, nK]</c>.</param>
    /// <param name="lists"><c>[B, H, nQ, nK]</c>: the first <c>counts</c> entries of each row are distinct key block indices.</param>
    /// <param name="rectification"><c>R</c>, <c>[B, H, nQ]</c> (read only when <paramref name="rectify"/>).</param>
    /// <param name="compensation"><c>C</c>, <c>[B, H, nQ, D]</c> (read only when <paramref name="rectify"/>).</param>
    /// <param name="rectify">Whether to apply step 8's <c>R * Os + C</c>.</param>
    /// <param name="output">O, <c>[B, H, S, D]</c>; only visual rows are written.</param>
    /// <exception cref="ArgumentException">The shape is inconsistent, a view is too short, or a count or block index is out of range.</exception>
    /// <exception cref="NotSupportedException"><typeparamref name="T"/> is not float, Half or BFloat16.</exception>
    public static void SparseAttention<T>(AttentionShape shape, ArrayView<T> q, ArrayView<T> k, ArrayView<T> v,
        ArrayView<int> counts, ArrayView<int> lists, ArrayView<float> rectification, ArrayView<float> compensation,
        bool rectify, ArrayView<T> output) where T : unmanaged
        => SparseAttention(shape, q, k, v, counts, lists, rectification, compensation, rectify, output, SimdLevels.Best);

    /// <summary><see cref="DenseAttention{T}(AttentionShape, ArrayView{T}, ArrayView{T}, ArrayView{T}, ArrayView{T}, int, int)"/> at a chosen vector width (tests run every width on one machine).</summary>
    internal static void DenseAttention<T>(AttentionShape shape, ArrayView<T> q, ArrayView<T> k, ArrayView<T> v,
        ArrayView<T> output, int queryStart, int queryCount, SimdLevel level) where T : unmanaged
    {
        RequireElement<T>();
        RequireShape(shape);
        bool any = FlashArguments.Dense(shape, q, k, v, output, queryStart, queryCount);
        RequireTokenMemory(shape, q, k, v, output);
        if (!any) return;

        T* pq = Address(q), pk = Address(k), pv = Address(v), po = Address(output);
        switch (level)
        {
            case SimdLevel.Vector512: DenseDriver.Run<T, Simd512, Vector512<float>>(shape, pq, pk, pv, po, queryStart, queryCount); break;
            case SimdLevel.Vector256: DenseDriver.Run<T, Simd256, Vector256<float>>(shape, pq, pk, pv, po, queryStart, queryCount); break;
            case SimdLevel.Vector128: DenseDriver.Run<T, Simd128, Vector128<float>>(shape, pq, pk, pv, po, queryStart, queryCount); break;
            default: DenseDriver.Run<T, SimdScalar, float>(shape, pq, pk, pv, po, queryStart, queryCount); break;
        }
    }

    /// <summary><see cref="SparseAttention{T}(AttentionShape, ArrayView{T}, ArrayView{T}, ArrayView{T}, ArrayView{int}, ArrayView{int}, ArrayView{float}, ArrayView{float}, bool, ArrayView{T})"/> at a chosen vector width.</summary>
    internal static void SparseAttention<T>(AttentionShape shape, ArrayView<T> q, ArrayView<T> k, ArrayView<T> v,
        ArrayView<int> counts, ArrayView<int> lists, ArrayView<float> rectification, ArrayView<float> compensation,
        bool rectify, ArrayView<T> output, SimdLevel level) where T : unmanaged
    {
        RequireElement<T>();
        RequireShape(shape);
        bool any = FlashArguments.Sparse(shape, q, k, v, counts, lists, rectification, compensation, rectify, output);
        RequireTokenMemory(shape, q, k, v, output);
        long blockRows = (long)shape.HeadCount * shape.QueryBlocks;
        RequireMemory(counts, blockRows, nameof(counts));
        RequireMemory(lists, blockRows * shape.KeyBlocks, nameof(lists));
        if (rectify)
        {
            RequireMemory(rectification, blockRows, nameof(rectification));
            RequireMemory(compensation, blockRows * shape.HeadDim, nameof(compensation));
        }
        if (!any) return;
        int* pCounts = Address(counts), pLists = Address(lists);
        RequireLists(shape, pCounts, pLists, blockRows);

        T* pq = Address(q), pk = Address(k), pv = Address(v), po = Address(output);
        float* pr = rectify ? Address(rectification) : null, pc = rectify ? Address(compensation) : null;
        switch (level)
        {
            case SimdLevel.Vector512: SparseDriver.Run<T, Simd512, Vector512<float>>(shape, pq, pk, pv, pCounts, pLists, pr, pc, rectify, po); break;
            case SimdLevel.Vector256: SparseDriver.Run<T, Simd256, Vector256<float>>(shape, pq, pk, pv, pCounts, pLists, pr, pc, rectify, po); break;
            case SimdLevel.Vector128: SparseDriver.Run<T, Simd128, Vector128<float>>(shape, pq, pk, pv, pCounts, pLists, pr, pc, rectify, po); break;
            default: SparseDriver.Run<T, SimdScalar, float>(shape, pq, pk, pv, pCounts, pLists, pr, pc, rectify, po); break;
        }
    }

    private static T* Address<T>(ArrayView<T> view) where T : unmanaged => (T*)view.Handle + view.Offset;

    private static void RequireElement<T>() where T : unmanaged
    {
        if (!ElementRows.IsSupported<T>())
            throw new NotSupportedException($"CPU flash attention supports float, Half and BFloat16 elements, not {typeof(T).Name}.");
    }

    private static void RequireShape(AttentionShape shape)
    {
        if (shape.Batch < 0 || shape.Heads < 0 || shape.SequenceLength < 0)
            throw new ArgumentException($"Batch, heads and sequence length must not be negative: {shape}.", nameof(shape));
        if (shape.HeadDim < 1) throw new ArgumentException($"The head dim must be at least 1: {shape}.", nameof(shape));
        if (shape.TextTokens < 0 || shape.TextTokens > shape.SequenceLength || shape.ValidTextTokens < 0 || shape.ValidTextTokens > shape.TextTokens)
            throw new ArgumentException($"Text tokens must satisfy 0 <= valid <= text <= S: {shape}.", nameof(shape));
        if (shape.QueryBlockSize < 1 || shape.KeyBlockSize < 1)
            throw new ArgumentException($"Block sizes must be at least 1: {shape}.", nameof(shape));
    }

    /// <summary>The host code reads through pointers, so a long enough view must also have memory behind it.</summary>
    private static void RequireTokenMemory<T>(AttentionShape shape, ArrayView<T> q, ArrayView<T> k, ArrayView<T> v, ArrayView<T> output)
        where T : unmanaged
    {
        RequireMemory(q, shape.TokenElements, nameof(q));
        RequireMemory(k, shape.TokenElements, nameof(k));
        RequireMemory(v, shape.TokenElements, nameof(v));
        RequireMemory(output, shape.TokenElements, nameof(output));
    }

    private static void RequireMemory<T>(ArrayView<T> view, long needed, string name) where T : unmanaged
    {
        if (needed > 0 && view.Handle == 0)
            throw new ArgumentException($"{name} has no memory behind it.", name);
    }

    /// <summary>Every count in [0, nK] and every listed block index in [0, nK), checked before any thread reads them.</summary>
    private static void RequireLists(AttentionShape shape, int* counts, int* lists, long blockRows)
    {
        int nK = shape.KeyBlocks;
        for (long row = 0; row < blockRows; row++)
        {
            int count = counts[row];
            if (count < 0 || count > nK)
                throw new ArgumentException($"counts[{row}] is {count}, outside [0, {nK}].", "counts");
            int* list = lists + row * nK;
            for (int e = 0; e < count; e++)
                if ((uint)list[e] >= (uint)nK)
                    throw new ArgumentException($"lists[{row}, {e}] is {list[e]}, not a key block index in [0, {nK}).", "lists");
        }
    }
}
