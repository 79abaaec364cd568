using RectifiedSpaAttn.Attention;
using RectifiedSpaAttn.Compute;
using RectifiedSpaAttn.Distributed;
using RectifiedSpaAttn.Numerics;
using RectifiedSpaAttn.Tensors;
using RectifiedSpaAttn.Tests.Accelerators;
using RectifiedSpaAttn.Tests.Attention;

namespace RectifiedSpaAttn.Tests.Distributed;

/// <summary>
/// Split attention equals the single-device call on the whole input, bit for bit: every step is per head, so a rank
/// computes exactly what one device computes for those heads. Heads that do not divide over the ranks, text tokens,
/// the video layout (reordered per rank) and a supplied mask (sliced per rank) are all in play.
/// </summary>
public class SequenceParallelAttentionTests(ITestOutputHelper output)
{
    public static TheoryData<AcceleratorKind, AttentionMethod> Cases => new()
    {
        { AcceleratorKind.Cpu, AttentionMethod.Rectified },
        { AcceleratorKind.Cpu, AttentionMethod.BlockSparse },
        { AcceleratorKind.Cpu, AttentionMethod.Dense },
        { AcceleratorKind.OpenCL, AttentionMethod.Rectified },
        { AcceleratorKind.Cuda, AttentionMethod.Rectified },
        { AcceleratorKind.Cuda, AttentionMethod.BlockSparse },
    };

    [Theory, MemberData(nameof(Cases))]
    public void TokenSplitEqualsTheSingleDeviceCall(AcceleratorKind kind, AttentionMethod method)
    {
        using TestRanks ranks = TestRanks.Create(kind, ranks: 3, output);
        DeviceAttentionCase problem = Problem(method);
        var (q, k, v) = problem.Inputs<BFloat16>();
        RectifiedSpaAttnOptions options = OptionsFor(problem, method);
        HostTensor<BFloat16> expected = SingleDevice(ranks.Accelerators[0], method, q, k, v, options, out double density);

        Shard[] tokens = Shard.Split(problem.S, ranks.Size);
        var shards = new Shards(ranks.Accelerators, r => Slice(q, new Shard(0, problem.H), tokens[r]),
            r => Slice(k, new Shard(0, problem.H), tokens[r]), r => Slice(v, new Shard(0, problem.H), tokens[r]));
        using (shards)
        using (SequenceParallelResult<BFloat16> result = new SequenceParallelAttention(ranks.Communicator).Run(method, shards.Q, shards.K, shards.V, options))
        {
            for (int r = 0; r < ranks.Size; r++)
                AssertBitEqual(Slice(expected, new Shard(0, problem.H), tokens[r]), result.Outputs[r].ToHost(), $"rank {r} of {ranks.Size}, {problem}");
            output.WriteLine($"{ranks.Size} ranks through {ranks.Communicator.Transport}: heads {string.Join(", ", result.Heads)}; " +
                $"densities {string.Join(", ", result.Densities.Select(d => d.ToString("F3")))} (one device: {density:F3})");
            if (method == AttentionMethod.Dense) Assert.All(result.Densities, d => Assert.Equal(1, d));
        }
    }

    [Theory]
    [InlineData(AcceleratorKind.Cpu)]
    [InlineData(AcceleratorKind.Cuda)]
    public void HeadSplitNeedsNoExchangeAndEqualsTheSingleDeviceCall(AcceleratorKind kind)
    {
        using TestRanks ranks = TestRanks.Create(kind, ranks: 2, output);
        DeviceAttentionCase problem = Problem(AttentionMethod.Rectified);
        var (q, k, v) = problem.Inputs<BFloat16>();
        RectifiedSpaAttnOptions options = problem.Options();
        HostTensor<BFloat16> expected = SingleDevice(ranks.Accelerators[0], AttentionMethod.Rectified, q, k, v, options, out _);

        Shard[] heads = Shard.Split(problem.H, ranks.Size), all = [new Shard(0, problem.S)];
        using var shards = new Shards(ranks.Accelerators, r => Slice(q, heads[r], all[0]), r => Slice(k, heads[r], all[0]), r => Slice(v, heads[r], all[0]));
        using SequenceParallelResult<BFloat16> result = new SequenceParallelAttention(ranks.Communicator)
            .Run(AttentionMethod.Rectified, shards.Q, shards.K, shards.V, options, ShardLayout.Heads);
        for (int r = 0; r < ranks.Size; r++)
            AssertBitEqual(Slice(expected, heads[r], all[0]), result.Outputs[r].ToHost(), $"rank {r}, {problem}");
    }

    [Fact]
    public void ShardsThatDoNotFollowTheSplitAreRefusedWithTheExpectedSizes()
    {
        using TestRanks ranks = TestRanks.Create(AcceleratorKind.Cpu, ranks: 2, output);
        DeviceAttentionCase problem = Problem(AttentionMethod.Dense);
        var (q, _, _) = problem.Inputs<BFloat16>();
        // 272 tokens over 2 ranks is 136 + 136; give 130 + 142.
        using var shards = new Shards(ranks.Accelerators,
            r => Slice(q, new Shard(0, problem.H), r == 0 ? new Shard(0, 130) : new Shard(130, 142)),
            r => Slice(q, new Shard(0, problem.H), r == 0 ? new Shard(0, 130) : new Shard(130, 142)),
            r => Slice(q, new Shard(0, problem.H), r == 0 ? new Shard(0, 130) : new Shard(130, 142)));
        var error = Assert.Throws<ArgumentException>(() => new SequenceParallelAttention(ranks.Communicator)
            .Run(AttentionMethod.Dense, shards.Q, shards.K, shards.V, problem.Options()));
        Assert.Contains("Rank 0 holds 130 along the sequence length axis", error.Message);
        Assert.Contains("gives it 136", error.Message);
    }

    // 5 heads (uneven over 2 or 3 ranks), a 2x8x16 video grid reordered along the curve, 16 text slots of which 11 valid.
    private static DeviceAttentionCase Problem(AttentionMethod method) => new(
        Seed: TestAccelerators.NewSeed(), B: 1, H: 5, D: 64, Block: 64, Grid: (2, 8, 16), UseVideoLayout: true, Text: 16, ValidText: 11,
        Tau: 0.3, DropRate: 0.5, KMin: null, FirstFrame: 1, Neighbors: true, Type: ElementType.BFloat16, Method: method);

    // Block-sparse runs on a random mask over all heads, which each rank must slice to its own.
    private static RectifiedSpaAttnOptions OptionsFor(DeviceAttentionCase problem, AttentionMethod method)
    {
        if (method != AttentionMethod.BlockSparse) return problem.Options();
        var random = new Random(problem.Seed);
        var mask = new HostTensor<bool>(problem.B, problem.H, problem.Blocks, problem.Blocks);
        foreach (ref bool m in mask.Span) m = random.NextDouble() < 0.4;
        return problem.Options(mask);
    }

    private static HostTensor<BFloat16> SingleDevice(
        Accelerator accelerator, AttentionMethod method, HostTensor<BFloat16> q, HostTensor<BFloat16> k, HostTensor<BFloat16> v,
        RectifiedSpaAttnOptions options, out double density)
    {
        using var dq = DeviceTensor<BFloat16>.Upload(accelerator, q);
        using var dk = DeviceTensor<BFloat16>.Upload(accelerator, k);
        using var dv = DeviceTensor<BFloat16>.Upload(accelerator, v);
        using AttentionResult<BFloat16> result = AttentionOperations.Run(method, dq, dk, dv, options);
        density = result.Density;
        return result.Output.ToHost();
    }

    /// <summary><c>x[:, heads, tokens, :]</c> of a <c>[B, H, S, D]</c> tensor.</summary>
    private static HostTensor<BFloat16> Slice(HostTensor<BFloat16> x, Shard heads, Shard tokens)
    {
        ReadOnlySpan<int> shape = x.Shape;
        int b = shape[0], h = shape[1], s = shape[2], d = shape[3];
        var slice = new HostTensor<BFloat16>(b, heads.Count, tokens.Count, d);
        int at = 0;
        for (int bi = 0; bi < b; bi++)
            for (int hi = heads.Start; hi < heads.Start + heads.Count; hi++, at += tokens.Count * d)
                x.Span.Slice(((bi * h + hi) * s + tokens.Start) * d, tokens.Count * d).CopyTo(slice.Span.Slice(at));
        return slice;
    }

    private static void AssertBitEqual(HostTensor<BFloat16> expected, HostTensor actual, string what)
    {
        Assert.Equal(expected.Shape.ToArray(), actual.Shape.ToArray());
        byte[] want = expected.AsBytes().ToArray(), got = actual.AsBytes().ToArray();
        int first = want.AsSpan().CommonPrefixLength(got);
        Assert.True(first == want.Length, $"{what}: outputs differ from byte {first} of {want.Length} (element {first / 2}).");
    }

    /// <summary>Each rank's q, k and v uploaded to its accelerator.</summary>
    private sealed class Shards : IDisposable
    {
        public Shards(IReadOnlyList<Accelerator> accelerators, Func<int, HostTensor<BFloat16>> q, Func<int, HostTensor<BFloat16>> k, Func<int, HostTensor<BFloat16>> v)
        {
            Q = [.. accelerators.Select((a, r) => DeviceTensor<BFloat16>.Upload(a, q(r)))];
            K = [.. accelerators.Select((a, r) => DeviceTensor<BFloat16>.Upload(a, k(r)))];
            V = [.. accelerators.Select((a, r) => DeviceTensor<BFloat16>.Upload(a, v(r)))];
        }

        public DeviceTensor<BFloat16>[] Q { get; }
        public DeviceTensor<BFloat16>[] K { get; }
        public DeviceTensor<BFloat16>[] V { get; }

        public void Dispose()
        {
            foreach (DeviceTensor<BFloat16> t in Q.Concat(K).Concat(V)) t.Dispose();
        }
    }
}
