using RectifiedSpaAttn.Compute;
using RectifiedSpaAttn.Kernels.Corpus;
using static RectifiedSpaAttn.Tests.Compiler.CorpusSupport;

namespace RectifiedSpaAttn.Tests.Compiler;

/// <summary>
/// Named barriers in FlashAttention-3's ping-pong pattern (<see cref="NamedBarrierKernels.TakeTurns"/>): the two teams
/// of a group must take strictly alternating turns, on the CPU emulation and on CUDA; OpenCL refuses the kernel with
/// the reason.
/// </summary>
public sealed class CorpusNamedBarrierTests(ITestOutputHelper output)
{
    [Theory]
    [MemberData(nameof(Kinds), MemberType = typeof(CorpusSupport))]
    public void TwoTeamsTakeStrictlyAlternatingTurns(AcceleratorKind kind)
    {
        KernelVariant variant = NamedBarrierKernels.TakeTurnsKernel.GetVariant();
        if (kind == AcceleratorKind.OpenCL)
        {
            Assert.Contains("named barriers", variant.OpenCLUnsupportedReason);
            output.WriteLine($"{variant.DisplayName} does not run on OpenCL: {variant.OpenCLUnsupportedReason}");
            return;
        }
        if (Accelerator(kind, variant, output) is not { } acc) return;
        var rng = NewRandom(output, out int seed);
        int groups = rng.Next(1, 4), rounds = rng.Next(1, 7), team = NamedBarrierKernels.TeamThreads;
        int perGroup = 2 * rounds * team;
        using DeviceBuffer<int> log = acc.Allocate<int>(groups * perGroup);
        log.Fill(-1);
        NamedBarrierKernels.TakeTurnsKernel.Launch(acc, new LaunchDimensions(groups, 2 * team), log.View, rounds);

        int[] written = log.ToArray();
        for (int g = 0; g < groups; g++)
            for (int ticket = 0; ticket < perGroup; ticket++)
            {
                // Turn i (tickets [64 i, 64 i + 64)) is team i % 2's round i / 2.
                int turn = ticket / team, expected = 1000 * (turn / 2) + turn % 2;
                Assert.True(written[g * perGroup + ticket] == expected,
                    $"seed {seed}: {groups} groups, {rounds} rounds: group {g}, ticket {ticket} holds {written[g * perGroup + ticket]}, expected {expected} (team {turn % 2}, round {turn / 2})");
            }
    }
}
