using RectifiedSpaAttn.Tensors;

namespace RectifiedSpaAttn.Reference;

/// <summary>
/// Splits token-level attention over <c>[B, H, S, D]</c> into independent work items and runs them in parallel:
/// one item per (b, h, query block) for visual queries, which share their key set, and one per (b, h, chunk of
/// <see cref="TextRowsPerItem"/> valid text queries). Invalid text rows are left zero.
/// </summary>
internal static class AttentionSchedule
{
    /// <summary>Text query rows per work item: large enough to amortise scheduling, small enough to balance 2+ cores.</summary>
    private const int TextRowsPerItem = 64;

    /// <summary>Runs attention; <paramref name="mask"/> null means dense (every valid key for every valid query).</summary>
    public static HostTensor<double> Run(HostTensor<double> q, HostTensor<double> k, HostTensor<double> v, BlockLayout layout, HostTensor<bool>? mask)
    {
        int batch = q.Shape[0], heads = q.Shape[1], seq = q.Shape[2], dim = q.Shape[3];
        var output = new HostTensor<double>(q.Shape);
        int visualItems = layout.QueryBlocks;
        int textItems = (layout.ValidTextTokens + TextRowsPerItem - 1) / TextRowsPerItem;
        int itemsPerHead = visualItems + textItems;
        double[] qData = q.Data, kData = k.Data, vData = v.Data, oData = output.Data;
        int headLength = seq * dim;

        Parallel.For(
            0, batch * heads * itemsPerHead,
            () => new double[layout.ValidKeys],
            (item, _, logits) =>
            {
                int head = item / itemsPerHead, local = item % itemsPerHead;
                int b = head / heads, h = head % heads;
                int rowStart, rowCount;
                KeyRange[] keys;
                if (local < visualItems)
                {
                    rowStart = layout.QueryBlockStart(local);
                    rowCount = layout.QueryBlockLength(local);
                    keys = mask is null ? [new KeyRange(0, layout.ValidKeys)] : KeysOfRow(mask.Row(b, h, local), layout);
                }
                else
                {
                    int chunk = local - visualItems;
                    rowStart = layout.TextStart + chunk * TextRowsPerItem;
                    rowCount = Math.Min(TextRowsPerItem, layout.TextStart + layout.ValidTextTokens - rowStart);
                    keys = [new KeyRange(0, layout.ValidKeys)];
                }
                TokenAttention.Attend(
                    qData.AsSpan(head * headLength, headLength), kData.AsSpan(head * headLength, headLength),
                    vData.AsSpan(head * headLength, headLength), dim, rowStart, rowCount, keys, Math.Sqrt(dim), logits,
                    oData.AsSpan(head * headLength, headLength));
                return logits;
            },
            _ => { });
        return output;
    }

    /// <summary>
    /// The keys of one visual query-block row: the tokens of its critical key blocks (runs of adjacent critical blocks
    /// merged into one range) followed by the valid text keys.
    /// </summary>
    private static KeyRange[] KeysOfRow(ReadOnlySpan<bool> critical, BlockLayout layout)
    {
        var ranges = new List<KeyRange>();
        for (int j = 0; j < critical.Length; j++)
        {
            if (!critical[j]) continue;
            int start = layout.KeyBlockStart(j), length = layout.KeyBlockLength(j);
            if (ranges.Count > 0 && ranges[^1].Start + ranges[^1].Length == start)
                ranges[^1] = ranges[^1] with { Length = ranges[^1].Length + length };
            else
                ranges.Add(new KeyRange(start, length));
        }
        if (layout.ValidTextTokens > 0) ranges.Add(new KeyRange(layout.TextStart, layout.ValidTextTokens));
        return [.. ranges];
    }
}
