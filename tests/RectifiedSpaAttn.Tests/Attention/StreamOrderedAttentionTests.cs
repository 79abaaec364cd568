using RectifiedSpaAttn.Attention;
using RectifiedSpaAttn.Compute;
using RectifiedSpaAttn.Metrics;
using RectifiedSpaAttn.Numerics;
using RectifiedSpaAttn.Tensors;
using RectifiedSpaAttn.Tests.Accelerators;
using RectifiedSpaAttn.Video;
using Xunit;

namespace RectifiedSpaAttn.Tests.Attention;

/// <summary>
/// Attention calls are stream-ordered: they return before the device has run them (seen through
/// <see cref="AcceleratorStream.IsComplete"/>), the lazy diagnostics wait for the call's stream when read, and calls on
/// two streams from two threads give exactly what the same calls give one after another on one stream.
/// </summary>
public class StreamOrderedAttentionTests(ITestOutputHelper output)
{
    public static TheoryData<AcceleratorKind> Kinds => TestAccelerators.AllKinds;

    [Fact]
    public void ALargeCudaCallReturnsBeforeItsStreamCompletesAndIsRightAfterSynchronize()
    {
        Accelerator cuda = TestAccelerators.Shared(AcceleratorKind.Cuda, output);
        // Dense attention at 32768 tokens x 16 heads x D 128 is ~9 TFLOP: tens of milliseconds even on an H100,
        // while enqueueing it takes microseconds.
        int seed = TestAccelerators.NewSeed();
        using var x = new StreamTestInputs<BFloat16>(cuda, heads: 16, seq: 32768, dim: 128, seed);
        using AcceleratorStream stream = cuda.CreateStream();
        var options = new RectifiedSpaAttnOptions { DropRate = 0.75, Tau = 0.3 };
        // Warm-up: the first call JIT-compiles the modules, which is host work.
        AttentionOperations.Dense(x.Q, x.K, x.V, stream: stream).Dispose();
        AttentionOperations.Rectified(x.Q, x.K, x.V, options, stream: stream).Dispose();
        stream.Synchronize();
        Assert.True(stream.IsComplete);

        using DeviceTensor<BFloat16> dense = AttentionOperations.Dense(x.Q, x.K, x.V, stream: stream);
        bool completeAfterDense = stream.IsComplete;
        using AttentionResult<BFloat16> rectified = AttentionOperations.Rectified(x.Q, x.K, x.V, options, AttentionDiagnostics.Mask, stream);
        bool completeAfterRectified = stream.IsComplete;
        Assert.False(completeAfterDense, "the dense call waited for the device");
        Assert.False(completeAfterRectified, "the rectified call waited for the device");
        Assert.Same(stream, rectified.Stream);

        // Reading the density waits for the stream up to the call's last kernel (no text tokens, no video layout).
        double density = rectified.Density;
        Assert.True(stream.IsComplete);
        bool[] mask = rectified.Mask!.Span.ToArray();
        Assert.Equal(mask.Count(m => m) / (double)mask.Length, density, 12);

        stream.Synchronize();
        HostTensor<BFloat16> result = dense.ToHost();
        var rows = new[] { (0, 0), (3, 12345), (15, 32767) };
        var actual = new List<double>();
        var expected = new List<double>();
        foreach (var (head, row) in rows)
        {
            expected.AddRange(DenseRowReference.Compute(x.Host, head, row));
            for (int d = 0; d < 128; d++) actual.Add(result.Span[(head * 32768 + row) * 128 + d]);
        }
        double relL2 = ErrorMetrics.RelativeL2([.. actual], [.. expected]);
        output.WriteLine($"seed {seed}: dense rows rel L2 {relL2:E2}, rectified density {density:F3}");
        Assert.True(relL2 <= 1e-2, $"seed {seed}: dense rows rel L2 {relL2:E3}");
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void TwoStreamsOnTwoThreadsGiveWhatOneStreamGives(AcceleratorKind kind)
    {
        Accelerator accelerator = TestAccelerators.Shared(kind, output);
        if (kind == AcceleratorKind.Cuda) Check<BFloat16>(accelerator, new VideoGrid(16, 16, 16), heads: 8, dim: 128, block: 128);
        else Check<float>(accelerator, new VideoGrid(6, 8, 8), heads: 2, dim: 64, block: 64);
    }

    private void Check<T>(Accelerator accelerator, VideoGrid grid, int heads, int dim, int block) where T : unmanaged
    {
        int seed = TestAccelerators.NewSeed();
        int seq = grid.TokenCount;
        using var a = new StreamTestInputs<T>(accelerator, heads, seq, dim, seed);
        using var b = new StreamTestInputs<T>(accelerator, heads, seq, dim, seed + 1);
        // The video layout makes each call upload its curve order through the stream's staging memory.
        var options = new RectifiedSpaAttnOptions
        {
            QueryBlockSize = block, KeyBlockSize = block, DropRate = 0.5, Tau = 0.3, VideoLayout = new VideoLayout(grid),
        };
        const AttentionDiagnostics Diagnostics = AttentionDiagnostics.Mask | AttentionDiagnostics.Rectification;

        // One stream, one call after the other.
        Outcome expectedA, expectedB;
        using (AttentionResult<T> ra = AttentionOperations.Rectified(a.Q, a.K, a.V, options, Diagnostics))
        using (AttentionResult<T> rb = AttentionOperations.Rectified(b.Q, b.K, b.V, options, Diagnostics))
        {
            expectedA = Outcome.Of(ra);
            expectedB = Outcome.Of(rb);
        }

        // Two streams, two threads, a few calls each (so each stream also takes scratch the other handed back).
        const int Repeats = 3;
        Outcome[] RunOn(StreamTestInputs<T> x)
        {
            using AcceleratorStream stream = accelerator.CreateStream();
            var outcomes = new Outcome[Repeats];
            for (int i = 0; i < Repeats; i++)
            {
                using AttentionResult<T> r = AttentionOperations.Rectified(x.Q, x.K, x.V, options, Diagnostics, stream);
                stream.Synchronize();
                outcomes[i] = Outcome.Of(r);
            }
            return outcomes;
        }
        Task<Outcome[]> onA = Task.Factory.StartNew(() => RunOn(a), TaskCreationOptions.LongRunning);
        Task<Outcome[]> onB = Task.Factory.StartNew(() => RunOn(b), TaskCreationOptions.LongRunning);
        Task.WaitAll(onA, onB);

        output.WriteLine($"{accelerator.Kind} seed {seed}: densities {expectedA.Density:F3} / {expectedB.Density:F3}");
        foreach (Outcome got in onA.Result) expectedA.AssertSame(got, $"{accelerator.Kind} seed {seed}, stream A");
        foreach (Outcome got in onB.Result) expectedB.AssertSame(got, $"{accelerator.Kind} seed {seed}, stream B");
    }

    /// <summary>What a call produced, on the host, compared bit for bit.</summary>
    private sealed record Outcome(byte[] OutputBytes, bool[] Mask, float[] Rectification, double Density)
    {
        public static Outcome Of<T>(AttentionResult<T> r) where T : unmanaged => new(
            System.Runtime.InteropServices.MemoryMarshal.AsBytes(r.Output.ToHost().Span).ToArray(),
            r.Mask!.Span.ToArray(), r.Rectification!.Span.ToArray(), r.Density);

        public void AssertSame(Outcome other, string what)
        {
            Assert.True(Mask.AsSpan().SequenceEqual(other.Mask), $"{what}: the mask differs");
            Assert.True(Rectification.AsSpan().SequenceEqual(other.Rectification), $"{what}: R differs");
            Assert.True(OutputBytes.AsSpan().SequenceEqual(other.OutputBytes), $"{what}: the output differs");
            Assert.Equal(Density, other.Density);
        }
    }
}
