using RectifiedSpaAttn.Tensors;

namespace RectifiedSpaAttn.Reference;

/// <summary>
/// The steps of Rectified SpaAttn (spec <c>rectified-spaattn.md</c>, "Steps"), each callable on its own and exact in fp64,
/// so that a kernel for one step can be checked against the same step here. <see cref="ExactReference"/> composes them.
/// All tensors are <c>double</c>; <c>[B, H, ...]</c> leading dimensions are processed independently.
/// </summary>
public static class ReferenceSteps
{
    /// <summary>
    /// Step 1 (and GAPR's deviations): block means and mean absolute deviations of the visual tokens of <paramref name="x"/>.
    /// Blocks are <paramref name="blockSize"/> consecutive tokens from token 0; the last block may be partial, and its
    /// statistics are over its valid tokens only. Tokens at or beyond <paramref name="visualTokens"/> are ignored.
    /// </summary>
    /// <param name="x">Q, K or V, <c>[B, H, S, D]</c>.</param>
    /// <param name="blockSize">Block size in tokens (<c>M</c> for queries, <c>N</c> for keys and values).</param>
    /// <param name="visualTokens"><c>S_vis</c>.</param>
    /// <returns>Means and mean absolute deviations, each <c>[B, H, ceil(S_vis / blockSize), D]</c>.</returns>
    public static BlockStatistics Pool(HostTensor<double> x, int blockSize, int visualTokens)
    {
        RequireRank(x, 4, nameof(x), "[B, H, S, D]");
        if (blockSize < 1) throw new ArgumentException($"The block size must be at least 1, got {blockSize}.", nameof(blockSize));
        int batch = x.Shape[0], heads = x.Shape[1], seq = x.Shape[2], dim = x.Shape[3];
        if (visualTokens < 0 || visualTokens > seq)
            throw new ArgumentException($"The visual token count must be in [0, {seq}], got {visualTokens}.", nameof(visualTokens));

        int blocks = (visualTokens + blockSize - 1) / blockSize;
        var means = new HostTensor<double>(batch, heads, blocks, dim);
        var deviations = new HostTensor<double>(batch, heads, blocks, dim);
        for (int b = 0; b < batch; b++)
            for (int h = 0; h < heads; h++)
            {
                Span<double> head = x.Row(b, h);
                for (int j = 0; j < blocks; j++)
                {
                    int start = j * blockSize, count = Math.Min(blockSize, visualTokens - start);
                    Span<double> mean = means.Row(b, h, j), deviation = deviations.Row(b, h, j);
                    for (int t = start; t < start + count; t++)
                        for (int d = 0; d < dim; d++) mean[d] += head[t * dim + d];
                    for (int d = 0; d < dim; d++) mean[d] /= count;
                    for (int t = start; t < start + count; t++)
                        for (int d = 0; d < dim; d++) deviation[d] += Math.Abs(head[t * dim + d] - mean[d]);
                    for (int d = 0; d < dim; d++) deviation[d] /= count;
                }
            }
        return new BlockStatistics(means, deviations);
    }

    /// <summary>
    /// Step 2: pooled logits. Columns <c>j &lt; nK</c> hold <c>a_ij = (qbar_i . kbar_j) / sqrt(D)</c>; the next
    /// <c>L_txt</c> columns hold each valid text key as its own ("isolated") column, <c>a_it = (qbar_i . k_t) / sqrt(D)</c>.
    /// </summary>
    /// <param name="queryMeans"><c>qbar</c>, <c>[B, H, nQ, D]</c>.</param>
    /// <param name="keyMeans"><c>kbar</c>, <c>[B, H, nK, D]</c>.</param>
    /// <param name="keys">K, <c>[B, H, S, D]</c> (only the valid text keys are read).</param>
    /// <param name="layout">The token layout.</param>
    /// <returns>The logits, <c>[B, H, nQ, nK + L_txt]</c>.</returns>
    public static HostTensor<double> PooledLogits(HostTensor<double> queryMeans, HostTensor<double> keyMeans, HostTensor<double> keys, BlockLayout layout)
    {
        ArgumentNullException.ThrowIfNull(layout);
        RequireRank(keys, 4, nameof(keys), "[B, H, S, D]");
        int batch = keys.Shape[0], heads = keys.Shape[1], dim = keys.Shape[3];
        RequireShape(keys, [batch, heads, layout.SequenceLength, dim], nameof(keys), "[B, H, S, D]");
        RequireShape(queryMeans, [batch, heads, layout.QueryBlocks, dim], nameof(queryMeans), "[B, H, nQ, D]");
        RequireShape(keyMeans, [batch, heads, layout.KeyBlocks, dim], nameof(keyMeans), "[B, H, nK, D]");

        int nQ = layout.QueryBlocks, nK = layout.KeyBlocks, text = layout.ValidTextTokens;
        double sqrtD = Math.Sqrt(dim);
        var logits = new HostTensor<double>(batch, heads, nQ, nK + text);
        for (int b = 0; b < batch; b++)
            for (int h = 0; h < heads; h++)
                for (int i = 0; i < nQ; i++)
                {
                    Span<double> row = logits.Row(b, h, i);
                    ReadOnlySpan<double> qbar = queryMeans.Row(b, h, i);
                    for (int j = 0; j < nK; j++) row[j] = VectorMath.Dot(qbar, keyMeans.Row(b, h, j)) / sqrtD;
                    for (int t = 0; t < text; t++) row[nK + t] = VectorMath.Dot(qbar, keys.Row(b, h, layout.TextStart + t)) / sqrtD;
                }
        return logits;
    }

    /// <summary>Step 3: softmax over the last dimension, with the row maximum subtracted first.</summary>
    /// <param name="logits">Any tensor of rank at least 1.</param>
    /// <returns>A new tensor of the same shape whose rows each sum to 1.</returns>
    public static HostTensor<double> Softmax(HostTensor<double> logits)
    {
        ArgumentNullException.ThrowIfNull(logits);
        if (logits.Rank < 1) throw new ArgumentException("Softmax needs a tensor of rank at least 1.", nameof(logits));
        var result = logits.Clone();
        int width = logits.Shape[^1];
        if (width == 0) return result;
        Span<double> all = result.Span;
        for (int start = 0; start < all.Length; start += width)
        {
            Span<double> row = all.Slice(start, width);
            double max = double.NegativeInfinity;
            foreach (double a in row) max = Math.Max(max, a);
            double sum = 0;
            for (int j = 0; j < width; j++) sum += row[j] = Math.Exp(row[j] - max);
            for (int j = 0; j < width; j++) row[j] /= sum;
        }
        return result;
    }

    /// <summary>
    /// Step 4, Isolated-Pooling Attention Reallocation: a block column stands for <c>n_j</c> tokens, a text column for one.
    /// <c>W_i = sum_j n_j pi_ij + sum_t pi_it</c>, <c>P_ij = n_j pi_ij / W_i</c>, <c>T_i = (sum_t pi_it) / W_i</c>.
    /// </summary>
    /// <param name="probabilities">The pooled softmax <c>pi</c>, <c>[B, H, nQ, nK + L_txt]</c>.</param>
    /// <param name="layout">The token layout (block sizes <c>n_j</c>, <c>L_txt</c>).</param>
    public static ImplicitReference Ipar(HostTensor<double> probabilities, BlockLayout layout)
    {
        ArgumentNullException.ThrowIfNull(layout);
        RequireRank(probabilities, 4, nameof(probabilities), "[B, H, nQ, nK + L_txt]");
        int batch = probabilities.Shape[0], heads = probabilities.Shape[1], nQ = layout.QueryBlocks, nK = layout.KeyBlocks;
        RequireShape(probabilities, [batch, heads, nQ, nK + layout.ValidTextTokens], nameof(probabilities), "[B, H, nQ, nK + L_txt]");

        var blockMass = new HostTensor<double>(batch, heads, nQ, nK);
        var textMass = new HostTensor<double>(batch, heads, nQ);
        for (int b = 0; b < batch; b++)
            for (int h = 0; h < heads; h++)
                for (int i = 0; i < nQ; i++)
                {
                    ReadOnlySpan<double> pi = probabilities.Row(b, h, i);
                    double visual = 0, text = 0;
                    for (int j = 0; j < nK; j++) visual += layout.KeyBlockLength(j) * pi[j];
                    for (int t = nK; t < pi.Length; t++) text += pi[t];
                    double total = visual + text;
                    Span<double> p = blockMass.Row(b, h, i);
                    for (int j = 0; j < nK; j++) p[j] = layout.KeyBlockLength(j) * pi[j] / total;
                    textMass[b, h, i] = text / total;
                }
        return new ImplicitReference(blockMass, textMass);
    }

    /// <summary>
    /// Step 5 for one row: the prefix-sum rule. The row's entries (the block masses, then the text entry at index
    /// <c>nK</c> when <paramref name="textMass"/> is given) are sorted by mass, descending, ties to the lower index;
    /// <c>c = (number of prefix sums &lt;= tau) + 1</c>, raised to <paramref name="minCriticalBlocks"/> and capped at the
    /// row length; the blocks among the first <c>c</c> sorted entries are marked critical. <c>tau &gt;= 1</c> keeps the whole
    /// row (as exact arithmetic would; rounding in the prefix sums cannot drop an entry).
    /// </summary>
    /// <param name="blockMasses">The row's block masses <c>P_i*</c>.</param>
    /// <param name="textMass">The row's text mass <c>T_i</c>, or null when the row has no text entry.</param>
    /// <param name="tau">The keep threshold (non-negative; infinity keeps everything).</param>
    /// <param name="minCriticalBlocks"><c>k_min</c> (non-negative; counts the text entry like any other entry).</param>
    /// <param name="critical">Receives the critical blocks; cleared first. Same length as <paramref name="blockMasses"/>.</param>
    /// <returns><c>c</c>, the number of sorted entries kept (including the text entry when it is among them).</returns>
    public static int SelectCriticalBlocks(ReadOnlySpan<double> blockMasses, double? textMass, double tau, int minCriticalBlocks, Span<bool> critical)
    {
        if (critical.Length != blockMasses.Length)
            throw new ArgumentException($"The critical row has {critical.Length} entries but there are {blockMasses.Length} block masses.", nameof(critical));
        if (double.IsNaN(tau) || tau < 0) throw new ArgumentException($"tau must be a non-negative number, got {tau}.", nameof(tau));
        ArgumentOutOfRangeException.ThrowIfNegative(minCriticalBlocks);

        int nK = blockMasses.Length, length = nK + (textMass is null ? 0 : 1);
        var mass = new double[length];
        blockMasses.CopyTo(mass);
        if (textMass is double tm) mass[nK] = tm;
        for (int e = 0; e < length; e++)
            if (double.IsNaN(mass[e])) throw new ArgumentException($"Mass entry {e} of the row is NaN.", nameof(blockMasses));

        // Descending by mass; equal masses in ascending index order (the text entry is index nK, so it loses every tie).
        var order = new int[length];
        for (int e = 0; e < length; e++) order[e] = e;
        Array.Sort(order, (x, y) => mass[x] != mass[y] ? mass[y].CompareTo(mass[x]) : x.CompareTo(y));

        int withinTau = 0;
        double prefix = 0;
        foreach (int e in order)
        {
            prefix += mass[e];
            if (prefix <= tau) withinTau++;
        }
        // tau >= 1 keeps the whole row: in exact arithmetic every prefix sum is <= 1, and rounding must not drop an entry.
        int c = tau >= 1 ? length : Math.Min(Math.Max(withinTau + 1, minCriticalBlocks), length);

        critical.Clear();
        for (int r = 0; r < c; r++)
            if (order[r] < nK) critical[order[r]] = true;
        return c;
    }

    /// <summary>
    /// Step 5 for every row: the prefix-sum rule of
    /// <see cref="SelectCriticalBlocks(ReadOnlySpan{double}, double?, double, int, Span{bool})"/> with <c>tau</c> and
    /// <c>k_min</c> from <paramref name="options"/> (the text entry present when <see cref="BlockLayout.HasTextEntry"/>),
    /// then every neighbour block (<see cref="RectifiedSpaAttnOptions.ResolveNeighborMask"/>) and, for query blocks
    /// <c>i &lt; F</c>, every key block <c>j &lt; F</c> (<see cref="RectifiedSpaAttnOptions.FirstFrameBlocks"/>).
    /// <see cref="RectifiedSpaAttnOptions.CriticalMask"/> is not consulted here: a supplied mask replaces this step.
    /// </summary>
    /// <param name="blockMass"><c>P</c>, <c>[B, H, nQ, nK]</c>.</param>
    /// <param name="textMass"><c>T</c>, <c>[B, H, nQ]</c>.</param>
    /// <param name="layout">The token layout.</param>
    /// <param name="options">tau, k_min (drop rate or given), neighbour mask, first-frame blocks.</param>
    /// <returns>The critical-block mask, <c>[B, H, nQ, nK]</c>.</returns>
    public static HostTensor<bool> SelectCriticalBlocks(HostTensor<double> blockMass, HostTensor<double> textMass, BlockLayout layout, RectifiedSpaAttnOptions options)
    {
        ArgumentNullException.ThrowIfNull(layout);
        ArgumentNullException.ThrowIfNull(options);
        RequireRank(blockMass, 4, nameof(blockMass), "[B, H, nQ, nK]");
        int batch = blockMass.Shape[0], heads = blockMass.Shape[1], nQ = layout.QueryBlocks, nK = layout.KeyBlocks;
        RequireShape(blockMass, [batch, heads, nQ, nK], nameof(blockMass), "[B, H, nQ, nK]");
        RequireShape(textMass, [batch, heads, nQ], nameof(textMass), "[B, H, nQ]");
        HostTensor<bool>? neighborMask = options.ResolveNeighborMask();
        if (neighborMask is { } neighbors) RequireShape(neighbors, [nQ, nK], "options.NeighborMask", "[nQ, nK]");
        if (options.FirstFrameBlocks < 0) throw new ArgumentException($"FirstFrameBlocks must not be negative, got {options.FirstFrameBlocks}.", nameof(options));

        int minCritical = options.ResolveMinCriticalBlocks(nK);
        int firstFrame = options.FirstFrameBlocks;
        var mask = new HostTensor<bool>(batch, heads, nQ, nK);
        for (int b = 0; b < batch; b++)
            for (int h = 0; h < heads; h++)
                for (int i = 0; i < nQ; i++)
                {
                    Span<bool> row = mask.Row(b, h, i);
                    double? text = layout.HasTextEntry ? textMass[b, h, i] : null;
                    SelectCriticalBlocks(blockMass.Row(b, h, i), text, options.Tau, minCritical, row);
                    if (neighborMask is { } neighbor)
                    {
                        ReadOnlySpan<bool> near = neighbor.Row(i);
                        for (int j = 0; j < nK; j++) row[j] |= near[j];
                    }
                    if (i < firstFrame)
                        for (int j = 0; j < Math.Min(firstFrame, nK); j++) row[j] = true;
                }
        return mask;
    }

    /// <summary>
    /// Step 6, Gain-Aware Pooling Rectification: block (i, j) is compensable when its gain <c>g_ij = |qbar_i . kbar_j|</c>
    /// is strictly greater than its pooling error <c>e_ij = |dq_i . kbar_j| + |qbar_i . dk_j|</c> (unscaled dot products;
    /// the reference pipeline's factor <c>m_i n_j</c> on both sides cancels).
    /// </summary>
    /// <param name="queries">Query block statistics (<c>qbar</c>, <c>dq</c>), <c>[B, H, nQ, D]</c> each.</param>
    /// <param name="keys">Key block statistics (<c>kbar</c>, <c>dk</c>), <c>[B, H, nK, D]</c> each.</param>
    /// <returns>The compensable mask, <c>[B, H, nQ, nK]</c>.</returns>
    public static HostTensor<bool> Gapr(BlockStatistics queries, BlockStatistics keys)
    {
        ArgumentNullException.ThrowIfNull(queries);
        ArgumentNullException.ThrowIfNull(keys);
        HostTensor<double> qbar = queries.Means, dq = queries.MeanAbsoluteDeviations, kbar = keys.Means, dk = keys.MeanAbsoluteDeviations;
        RequireRank(qbar, 4, "queries.Means", "[B, H, nQ, D]");
        int batch = qbar.Shape[0], heads = qbar.Shape[1], nQ = qbar.Shape[2], dim = qbar.Shape[3];
        RequireRank(kbar, 4, "keys.Means", "[B, H, nK, D]");
        int nK = kbar.Shape[2];
        RequireShape(dq, [batch, heads, nQ, dim], "queries.MeanAbsoluteDeviations", "[B, H, nQ, D]");
        RequireShape(kbar, [batch, heads, nK, dim], "keys.Means", "[B, H, nK, D]");
        RequireShape(dk, [batch, heads, nK, dim], "keys.MeanAbsoluteDeviations", "[B, H, nK, D]");

        var compensable = new HostTensor<bool>(batch, heads, nQ, nK);
        for (int b = 0; b < batch; b++)
            for (int h = 0; h < heads; h++)
                for (int i = 0; i < nQ; i++)
                {
                    Span<bool> row = compensable.Row(b, h, i);
                    for (int j = 0; j < nK; j++)
                    {
                        double gain = Math.Abs(VectorMath.Dot(qbar.Row(b, h, i), kbar.Row(b, h, j)));
                        double error = Math.Abs(VectorMath.Dot(dq.Row(b, h, i), kbar.Row(b, h, j)))
                                     + Math.Abs(VectorMath.Dot(qbar.Row(b, h, i), dk.Row(b, h, j)));
                        row[j] = gain > error;
                    }
                }
        return compensable;
    }

    /// <summary>
    /// Step 8's terms. <c>Pi_i</c> = the critical blocks of row i plus every block that is not compensable;
    /// <c>R_i = sum_{j in Pi_i} P_ij + T_i</c> and <c>C_i = sum_{j not in Pi_i} P_ij vbar_j</c>. Sums run in block order.
    /// </summary>
    /// <param name="reference">IPAR's <c>P</c> and <c>T</c>.</param>
    /// <param name="mask">The critical blocks, <c>[B, H, nQ, nK]</c>.</param>
    /// <param name="compensable">GAPR's verdict, <c>[B, H, nQ, nK]</c>.</param>
    /// <param name="valueMeans"><c>vbar</c>, <c>[B, H, nK, D]</c>.</param>
    public static RectificationTerms Rectification(ImplicitReference reference, HostTensor<bool> mask, HostTensor<bool> compensable, HostTensor<double> valueMeans)
    {
        ArgumentNullException.ThrowIfNull(reference);
        HostTensor<double> p = reference.BlockMass, t = reference.TextMass;
        RequireRank(p, 4, "reference.BlockMass", "[B, H, nQ, nK]");
        RequireRank(valueMeans, 4, nameof(valueMeans), "[B, H, nK, D]");
        int batch = p.Shape[0], heads = p.Shape[1], nQ = p.Shape[2], nK = p.Shape[3], dim = valueMeans.Shape[3];
        RequireShape(t, [batch, heads, nQ], "reference.TextMass", "[B, H, nQ]");
        RequireShape(mask, [batch, heads, nQ, nK], nameof(mask), "[B, H, nQ, nK]");
        RequireShape(compensable, [batch, heads, nQ, nK], nameof(compensable), "[B, H, nQ, nK]");
        RequireShape(valueMeans, [batch, heads, nK, dim], nameof(valueMeans), "[B, H, nK, D]");

        var rectification = new HostTensor<double>(batch, heads, nQ);
        var compensation = new HostTensor<double>(batch, heads, nQ, dim);
        for (int b = 0; b < batch; b++)
            for (int h = 0; h < heads; h++)
                for (int i = 0; i < nQ; i++)
                {
                    ReadOnlySpan<double> mass = p.Row(b, h, i);
                    ReadOnlySpan<bool> critical = mask.Row(b, h, i), canCompensate = compensable.Row(b, h, i);
                    Span<double> c = compensation.Row(b, h, i);
                    double r = 0;
                    for (int j = 0; j < nK; j++)
                    {
                        if (critical[j] || !canCompensate[j]) r += mass[j];
                        else VectorMath.MultiplyAdd(c, valueMeans.Row(b, h, j), mass[j]);
                    }
                    rectification[b, h, i] = r + t[b, h, i];
                }
        return new RectificationTerms(rectification, compensation);
    }

    /// <summary>
    /// Step 7 (and 9): exact token-level attention. A visual query token of block i attends, by one softmax, to every token
    /// of the critical key blocks of row i and every valid text key; a valid text query attends to all valid keys (dense);
    /// invalid text slots get zero rows and are never attended. A visual row with no critical block and no valid text key
    /// has nothing to attend and gets a zero row.
    /// </summary>
    /// <param name="q">Q, <c>[B, H, S, D]</c>.</param>
    /// <param name="k">K, same shape.</param>
    /// <param name="v">V, same shape.</param>
    /// <param name="mask">The critical blocks, <c>[B, H, nQ, nK]</c>.</param>
    /// <param name="layout">The token layout.</param>
    /// <returns><c>Os</c>, <c>[B, H, S, D]</c>: the plain block-sparse output.</returns>
    public static HostTensor<double> SparseAttention(HostTensor<double> q, HostTensor<double> k, HostTensor<double> v, HostTensor<bool> mask, BlockLayout layout)
    {
        ArgumentNullException.ThrowIfNull(layout);
        RequireAttentionInputs(q, k, v, layout);
        RequireShape(mask, [q.Shape[0], q.Shape[1], layout.QueryBlocks, layout.KeyBlocks], nameof(mask), "[B, H, nQ, nK]");
        return AttentionSchedule.Run(q, k, v, layout, mask);
    }

    /// <summary>
    /// Dense attention: every visual and valid text query attends to all valid keys; invalid text slots get zero rows.
    /// </summary>
    /// <param name="q">Q, <c>[B, H, S, D]</c>.</param>
    /// <param name="k">K, same shape.</param>
    /// <param name="v">V, same shape.</param>
    /// <param name="layout">The token layout (only the text slots matter).</param>
    public static HostTensor<double> DenseAttention(HostTensor<double> q, HostTensor<double> k, HostTensor<double> v, BlockLayout layout)
    {
        ArgumentNullException.ThrowIfNull(layout);
        RequireAttentionInputs(q, k, v, layout);
        return AttentionSchedule.Run(q, k, v, layout, mask: null);
    }

    /// <summary>
    /// Step 8's output: <c>O_t = R_i * Os_t + C_i</c> for every visual query token t of block i; text rows are copied
    /// unchanged (valid ones are dense, invalid ones zero).
    /// </summary>
    /// <param name="sparseOutput"><c>Os</c>, <c>[B, H, S, D]</c>.</param>
    /// <param name="terms"><c>R</c> and <c>C</c>.</param>
    /// <param name="layout">The token layout.</param>
    /// <returns>A new tensor, <c>[B, H, S, D]</c>.</returns>
    public static HostTensor<double> ApplyRectification(HostTensor<double> sparseOutput, RectificationTerms terms, BlockLayout layout)
    {
        ArgumentNullException.ThrowIfNull(terms);
        ArgumentNullException.ThrowIfNull(layout);
        RequireRank(sparseOutput, 4, nameof(sparseOutput), "[B, H, S, D]");
        int batch = sparseOutput.Shape[0], heads = sparseOutput.Shape[1], dim = sparseOutput.Shape[3];
        RequireShape(sparseOutput, [batch, heads, layout.SequenceLength, dim], nameof(sparseOutput), "[B, H, S, D]");
        RequireShape(terms.Rectification, [batch, heads, layout.QueryBlocks], "terms.Rectification", "[B, H, nQ]");
        RequireShape(terms.Compensation, [batch, heads, layout.QueryBlocks, dim], "terms.Compensation", "[B, H, nQ, D]");

        var output = sparseOutput.Clone();
        for (int b = 0; b < batch; b++)
            for (int h = 0; h < heads; h++)
                for (int token = 0; token < layout.VisualTokens; token++)
                {
                    int i = token / layout.QueryBlockSize;
                    double r = terms.Rectification[b, h, i];
                    ReadOnlySpan<double> c = terms.Compensation.Row(b, h, i);
                    Span<double> row = output.Row(b, h, token);
                    for (int d = 0; d < dim; d++) row[d] = r * row[d] + c[d];
                }
        return output;
    }

    /// <summary>The fraction of true entries of <paramref name="mask"/>; 0 for an empty mask.</summary>
    public static double Density(HostTensor<bool> mask)
    {
        ArgumentNullException.ThrowIfNull(mask);
        if (mask.Length == 0) return 0;
        long count = 0;
        foreach (bool m in mask.Span) if (m) count++;
        return (double)count / mask.Length;
    }

    private static void RequireAttentionInputs(HostTensor<double> q, HostTensor<double> k, HostTensor<double> v, BlockLayout layout)
    {
        RequireRank(q, 4, nameof(q), "[B, H, S, D]");
        int[] shape = q.Shape.ToArray();
        if (shape[2] != layout.SequenceLength)
            throw new ArgumentException($"q has {shape[2]} tokens but the layout has {layout.SequenceLength}.", nameof(q));
        RequireShape(k, shape, nameof(k), "the shape of q");
        RequireShape(v, shape, nameof(v), "the shape of q");
    }

    internal static void RequireRank(HostTensor? tensor, int rank, string name, string layoutText)
    {
        ArgumentNullException.ThrowIfNull(tensor, name);
        if (tensor.Rank != rank)
            throw new ArgumentException($"{name} must have rank {rank} ({layoutText}), got shape {tensor.ShapeText}.", name);
    }

    internal static void RequireShape(HostTensor? tensor, int[] shape, string name, string layoutText)
    {
        ArgumentNullException.ThrowIfNull(tensor, name);
        if (!tensor.Shape.SequenceEqual(shape))
            throw new ArgumentException($"{name} has shape {tensor.ShapeText}; expected [{string.Join(", ", shape)}] ({layoutText}).", name);
    }
}
