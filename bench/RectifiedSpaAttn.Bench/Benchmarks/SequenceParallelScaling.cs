using System.Diagnostics;
using RectifiedSpaAttn.Attention;
using RectifiedSpaAttn.Compute;
using RectifiedSpaAttn.Compute.Collectives;
using RectifiedSpaAttn.Compute.Collectives.Nccl;
using RectifiedSpaAttn.Distributed;
using RectifiedSpaAttn.Numerics;
using RectifiedSpaAttn.Tensors;

namespace RectifiedSpaAttn.Bench.Benchmarks;

/// <summary>
/// Strong scaling of <see cref="SequenceParallelAttention"/> over the GPUs of this machine through NCCL (bf16, B 1,
/// token-split input, rectified at drop rate 0.75 and tau 0.3 unless another method is named): for P = 1, 2, 4, 8 (as
/// many as there are GPUs), the time per call, the parallel efficiency <c>T(1) / (P T(P))</c>, and the share of the call
/// that the exchanges alone take (q, k, v gathered by heads, the output split back by tokens, timed on their own).
/// Not a BenchmarkDotNet benchmark: one process drives every GPU, and each P needs its own communicator.
/// </summary>
internal static class SequenceParallelScaling
{
    public static void Run(int[] sequenceLengths, int heads, int headDim, AttentionMethod method, int calls)
    {
        using var context = Context.Create();
        AcceleratorInfo[] gpus = [.. context.Devices.Where(d => d.Kind == AcceleratorKind.Cuda)];
        if (gpus.Length == 0) throw new InvalidOperationException("The scaling benchmark needs CUDA GPUs; run it on the GPU machine.");
        int[] sizes = [.. new[] { 1, 2, 4, 8 }.Where(p => p <= gpus.Length)];
        Console.WriteLine($"// scaling: {method}, H {heads}, D {headDim}, bf16, {calls} calls per point, {gpus.Length} GPU(s): {gpus[0].Name}");
        Console.WriteLine("// scaling: S       P  ms/call  efficiency  exchange ms  exchange share  transport");
        foreach (int s in sequenceLengths)
        {
            double single = double.NaN;
            foreach (int p in sizes)
            {
                var accelerators = gpus.Take(p).Select(context.CreateAccelerator).ToList();
                try
                {
                    using NcclCommunicator communicator = NcclCommunicator.CreateAll(accelerators);
                    (double callMs, double exchangeMs) = Measure(communicator, s, heads, headDim, method, calls);
                    if (p == 1) single = callMs;
                    double efficiency = single / (p * callMs);
                    Console.WriteLine($"// scaling: {s,-7} {p,2} {callMs,8:F1} {efficiency,10:P0} {exchangeMs,12:F2} {exchangeMs / callMs,14:P1}  {communicator.Transport}");
                }
                finally
                {
                    foreach (Accelerator accelerator in accelerators) accelerator.Dispose();
                }
            }
        }
    }

    private static (double CallMs, double ExchangeMs) Measure(Communicator communicator, int s, int heads, int headDim, AttentionMethod method, int calls)
    {
        int p = communicator.Size;
        Shard[] tokens = Shard.Split(s, p);
        var q = new DeviceTensor<BFloat16>[p];
        var k = new DeviceTensor<BFloat16>[p];
        var v = new DeviceTensor<BFloat16>[p];
        var options = new RectifiedSpaAttnOptions { DropRate = 0.75, Tau = 0.3 };
        try
        {
            for (int r = 0; r < p; r++)
                (q[r], k[r], v[r]) = AttentionWorkloads.Upload<BFloat16>(communicator.Accelerators[r], heads, tokens[r].Count, headDim, seed: 100 + r);
            var attention = new SequenceParallelAttention(communicator);
            using (attention.Run(method, q, k, v, options)) { }

            var clock = Stopwatch.StartNew();
            for (int i = 0; i < calls; i++)
                using (attention.Run(method, q, k, v, options)) { }
            double callMs = clock.Elapsed.TotalMilliseconds / calls;
            return (callMs, ExchangeOnly(communicator, q, s, heads, headDim, calls));
        }
        finally
        {
            foreach (DeviceTensor<BFloat16>? t in q.Concat(k).Concat(v)) t?.Dispose();
        }
    }

    // The four exchanges of one call (q, k, v to heads; the output back to tokens) on buffers of the call's sizes.
    private static double ExchangeOnly(Communicator communicator, DeviceTensor<BFloat16>[] tokenSplit, int s, int heads, int headDim, int calls)
    {
        var exchange = new UlyssesExchange(1, heads, s, headDim, communicator.Size);
        DeviceTensor<BFloat16>[] headSplit = [.. communicator.Accelerators.Select((a, r) =>
            DeviceTensor<BFloat16>.Allocate(a, 1, exchange.Heads[r].Count, s, headDim))];
        try
        {
            ArrayView<BFloat16>[] tokenViews = [.. tokenSplit.Select(t => t.View)], headViews = [.. headSplit.Select(t => t.View)];
            IReadOnlyList<Transfer> toHeads = exchange.TokensToHeads(), toTokens = exchange.HeadsToTokens();
            void OneCall()
            {
                for (int i = 0; i < 3; i++) communicator.Exchange(tokenViews, headViews, toHeads);
                communicator.Exchange(headViews, tokenViews, toTokens);
            }
            OneCall();
            communicator.Synchronize();
            var clock = Stopwatch.StartNew();
            for (int i = 0; i < calls; i++) OneCall();
            communicator.Synchronize();
            return clock.Elapsed.TotalMilliseconds / calls;
        }
        finally
        {
            foreach (DeviceTensor<BFloat16> t in headSplit) t.Dispose();
        }
    }
}
