using RectifiedSpaAttn.Compute;
using RectifiedSpaAttn.Compute.Cpu;
using RectifiedSpaAttn.Kernels.Attention;
using RectifiedSpaAttn.Kernels.CpuNative;
using RectifiedSpaAttn.Tensors;

namespace RectifiedSpaAttn.Tests.Kernels.CpuNative;

/// <summary>
/// The flash kernels keep per-thread scratch: calls from several threads at once must not disturb each other, and since
/// every output row is computed by one thread in a fixed order, results are bitwise the same however work is scheduled.
/// </summary>
public sealed class CpuFlashConcurrencyTests
{
    [Fact]
    public void ConcurrentCallsGiveBitwiseTheSameResultsAsOneAtATime()
    {
        using var cpu = new CpuAccelerator();
        int seed = Random.Shared.Next();
        var random = new Random(seed);
        // Different head dims so that concurrent calls need differently sized scratch on shared pool threads.
        var shapes = new[] { new AttentionShape(1, 3, 300, 64, 20, 11, 64, 64), new AttentionShape(2, 2, 200, 8, 0, 0, 16, 16), new AttentionShape(1, 2, 257, 128, 7, 7, 128, 32) };
        var inputs = shapes.Select(s => FlashHarness.Upload<float>(cpu, FlashHarness.Values(random, s.TokenElements, 1.0, ElementType.Float32))).ToArray();
        try
        {
            float[][] alone = [.. shapes.Select((s, i) => Run(cpu, s, inputs[i]))];
            for (int round = 0; round < 3; round++)
            {
                var together = new float[shapes.Length][];
                Parallel.For(0, shapes.Length * 2, n => { int i = n % shapes.Length; together[i] = Run(cpu, shapes[i], inputs[i]); });
                for (int i = 0; i < shapes.Length; i++)
                    Assert.True(alone[i].AsSpan().SequenceEqual(together[i]), $"seed {seed}: shape {shapes[i]} differs when run alongside the others (round {round}).");
            }
        }
        finally
        {
            foreach (DeviceBuffer<float> buffer in inputs) buffer.Dispose();
        }
    }

    private static float[] Run(CpuAccelerator cpu, AttentionShape shape, DeviceBuffer<float> qkv)
    {
        using DeviceBuffer<float> output = FlashHarness.Poisoned<float>(cpu, shape.TokenElements);
        CpuFlashAttention.DenseAttention(shape, qkv.View, qkv.View, qkv.View, output.View, 0, shape.SequenceLength);
        return output.ToArray();
    }
}
