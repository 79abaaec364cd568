using RectifiedSpaAttn.Attention;
using RectifiedSpaAttn.Compute;
using RectifiedSpaAttn.Compute.Collectives;
using RectifiedSpaAttn.Tensors;

namespace RectifiedSpaAttn.Distributed;

/// <summary>
/// Attention over the ranks of a <see cref="Communicator"/> (the GPUs of one host through NCCL, or any accelerators
/// through host memory), the way Ulysses sequence parallelism splits it: q, k and v arrive split by tokens; one
/// all-to-all gives each rank the whole sequence for its share of the heads; every step of the method (pooling,
/// selection, GAPR, the sparse kernel, rectification) is per head, so each rank runs the single-device pipeline
/// unchanged on <c>[B, H_r, S, D]</c>; a second all-to-all splits the output by tokens again. Text tokens, the video
/// layout and a supplied critical mask refer to the whole sequence and all heads, exactly as in a single-device call.
/// </summary>
/// <example>
/// <code>
/// using var comm = NcclCommunicator.CreateAll(gpus);                       // rank r on gpus[r]
/// var attention = new SequenceParallelAttention(comm);
/// // q[r], k[r], v[r]: [B, H, S_r, D] on gpus[r], tokens Shard.Split(S, gpus.Count)[r]
/// using var result = attention.Run(AttentionMethod.Rectified, q, k, v, new RectifiedSpaAttnOptions { DropRate = 0.75 });
/// DeviceTensor&lt;BFloat16&gt; myOutput = result.Outputs[r];                 // [B, H, S_r, D]
/// </code>
/// </example>
public sealed class SequenceParallelAttention
{
    /// <summary>Splits attention calls over <paramref name="communicator"/>'s ranks.</summary>
    public SequenceParallelAttention(Communicator communicator)
    {
        ArgumentNullException.ThrowIfNull(communicator);
        Communicator = communicator;
    }

    /// <summary>The ranks the work is split over.</summary>
    public Communicator Communicator { get; }

    /// <summary>
    /// Runs <paramref name="method"/> over the whole sequence and all heads, with each local rank's share of q, k and v.
    /// </summary>
    /// <param name="method">Dense, block-sparse or rectified attention.</param>
    /// <param name="q">Each local rank's queries, in the order of <see cref="Communicator.LocalRanks"/> (shapes as <paramref name="layout"/> says).</param>
    /// <param name="k">Each local rank's keys, shaped like its queries.</param>
    /// <param name="v">Each local rank's values, shaped like its queries.</param>
    /// <param name="options">As for a single-device call over the whole input (masks over all heads and the whole sequence).</param>
    /// <param name="layout">How the inputs are split.</param>
    /// <param name="sequenceLength">The whole sequence length S; needed with <see cref="ShardLayout.Tokens"/> when another process holds some ranks.</param>
    /// <param name="heads">The whole head count H; needed with <see cref="ShardLayout.Heads"/> when another process holds some ranks.</param>
    /// <returns>Each local rank's output, split as the inputs were; dispose it to free them.</returns>
    /// <exception cref="ArgumentException">Shapes, element types or accelerators do not match the split, or the options are invalid.</exception>
    /// <exception cref="NotSupportedException">No kernel is built for this element type, head dim and block sizes.</exception>
    public SequenceParallelResult<T> Run<T>(
        AttentionMethod method, IReadOnlyList<DeviceTensor<T>> q, IReadOnlyList<DeviceTensor<T>> k, IReadOnlyList<DeviceTensor<T>> v,
        RectifiedSpaAttnOptions options, ShardLayout layout = ShardLayout.Tokens, int? sequenceLength = null, int? heads = null)
        where T : unmanaged
    {
        ArgumentNullException.ThrowIfNull(options);
        SplitShape shape = SplitShape.Check(Communicator, q, k, v, layout, sequenceLength, heads);
        options.Validate(shape.Batch, shape.Heads, shape.SequenceLength);
        var exchange = new UlyssesExchange(shape.Batch, shape.Heads, shape.SequenceLength, shape.HeadDim, Communicator.Size);
        return layout == ShardLayout.Heads
            ? RunHeadSplit(method, q, k, v, options, exchange)
            : RunTokenSplit(method, q, k, v, options, exchange, shape);
    }

    private SequenceParallelResult<T> RunHeadSplit<T>(
        AttentionMethod method, IReadOnlyList<DeviceTensor<T>> q, IReadOnlyList<DeviceTensor<T>> k, IReadOnlyList<DeviceTensor<T>> v,
        RectifiedSpaAttnOptions options, UlyssesExchange exchange) where T : unmanaged
    {
        AttentionResult<T>?[] results = RunPerRank(method, q, k, v, options, exchange);
        // A rank without heads returns an empty output; the others hand over their results, which own the outputs.
        DeviceTensor<T>[] outputs = [.. results.Select((r, i) => r?.Output ?? DeviceTensor<T>.Allocate(Communicator.Accelerators[i], q[i].Shape))];
        IDisposable[] owned = [.. results.Select((r, i) => (IDisposable?)r ?? outputs[i])];
        return new SequenceParallelResult<T>(outputs, results.Select(r => r?.Density ?? 0).ToArray(), LocalHeads(exchange), owned);
    }

    private SequenceParallelResult<T> RunTokenSplit<T>(
        AttentionMethod method, IReadOnlyList<DeviceTensor<T>> q, IReadOnlyList<DeviceTensor<T>> k, IReadOnlyList<DeviceTensor<T>> v,
        RectifiedSpaAttnOptions options, UlyssesExchange exchange, SplitShape shape) where T : unmanaged
    {
        IReadOnlyList<Accelerator> accelerators = Communicator.Accelerators;
        int local = accelerators.Count;
        var gathered = new List<DeviceTensor<T>>();
        var outputs = new DeviceTensor<T>[local];
        AttentionResult<T>?[] results = [];
        try
        {
            // Tokens -> heads: every rank gets the whole sequence of its heads (one plan for q, k and v).
            IReadOnlyList<Transfer> toHeads = exchange.TokensToHeads();
            DeviceTensor<T>[] Gather(IReadOnlyList<DeviceTensor<T>> x)
            {
                var full = new DeviceTensor<T>[local];
                for (int i = 0; i < local; i++)
                {
                    int rankHeads = exchange.Heads[Communicator.LocalRanks[i]].Count;
                    full[i] = DeviceTensor<T>.Allocate(accelerators[i], shape.Batch, rankHeads, shape.SequenceLength, shape.HeadDim);
                    gathered.Add(full[i]);
                }
                Communicator.Exchange(Views(x), Views(full), toHeads);
                return full;
            }
            DeviceTensor<T>[] fullQ = Gather(q), fullK = Gather(k), fullV = Gather(v);

            results = RunPerRank(method, fullQ, fullK, fullV, options, exchange);

            // Heads -> tokens: every rank gets all heads of its own tokens back.
            for (int i = 0; i < local; i++) outputs[i] = DeviceTensor<T>.Allocate(accelerators[i], q[i].Shape);
            Communicator.Exchange(results.Select(r => r?.Output.View ?? default).ToArray(), Views(outputs), exchange.HeadsToTokens());
            // The exchange reads the per-rank outputs and gathered inputs asynchronously; wait before freeing them.
            Communicator.Synchronize();
            return new SequenceParallelResult<T>(outputs, results.Select(r => r?.Density ?? 0).ToArray(), LocalHeads(exchange), outputs);
        }
        catch
        {
            foreach (DeviceTensor<T>? output in outputs) output?.Dispose();
            throw;
        }
        finally
        {
            foreach (AttentionResult<T>? result in results) result?.Dispose();
            foreach (DeviceTensor<T> tensor in gathered) tensor.Dispose();
        }
    }

    // The single-device pipeline on each local rank's heads over the whole sequence; null for a rank without heads (H < P).
    // Each call is enqueued on its accelerator's default stream and returns at once on GPUs, so the ranks run together;
    // the exchanges that follow are on the same streams. (The CPU accelerator computes as it is called.)
    private AttentionResult<T>?[] RunPerRank<T>(
        AttentionMethod method, IReadOnlyList<DeviceTensor<T>> q, IReadOnlyList<DeviceTensor<T>> k, IReadOnlyList<DeviceTensor<T>> v,
        RectifiedSpaAttnOptions options, UlyssesExchange exchange) where T : unmanaged
    {
        var results = new AttentionResult<T>?[q.Count];
        void RunRank(int i)
        {
            Shard rankHeads = exchange.Heads[Communicator.LocalRanks[i]];
            if (rankHeads.Count == 0) return;
            RectifiedSpaAttnOptions rankOptions = options.CriticalMask is { } mask ? options.WithCriticalMask(SliceHeads(mask, rankHeads)) : options;
            results[i] = AttentionOperations.Run(method, q[i], k[i], v[i], rankOptions);
        }
        try
        {
            for (int i = 0; i < q.Count; i++) RunRank(i);
            return results;
        }
        catch
        {
            foreach (AttentionResult<T>? result in results) result?.Dispose();
            throw;
        }
    }

    private Shard[] LocalHeads(UlyssesExchange exchange) => Communicator.LocalRanks.Select(r => exchange.Heads[r]).ToArray();

    private static ArrayView<T>[] Views<T>(IReadOnlyList<DeviceTensor<T>> tensors) where T : unmanaged
        => tensors.Select(t => t.View).ToArray();

    // The heads [Start, Start + Count) of a [B, H, nQ, nK] mask.
    private static HostTensor<bool> SliceHeads(HostTensor<bool> mask, Shard heads)
    {
        ReadOnlySpan<int> shape = mask.Shape;
        int batch = shape[0], allHeads = shape[1];
        long perHead = (long)shape[2] * shape[3];
        var slice = new HostTensor<bool>(batch, heads.Count, shape[2], shape[3]);
        for (int b = 0; b < batch; b++)
            mask.Span.Slice((int)((b * (long)allHeads + heads.Start) * perHead), (int)(heads.Count * perHead))
                .CopyTo(slice.Span.Slice((int)(b * heads.Count * perHead)));
        return slice;
    }
}
