using RectifiedSpaAttn.Attention;
using RectifiedSpaAttn.Compute;
using RectifiedSpaAttn.Numerics;
using RectifiedSpaAttn.Tensors;
using RectifiedSpaAttn.Tests.Accelerators;
using RectifiedSpaAttn.Video;
using Xunit;

namespace RectifiedSpaAttn.Tests.Attention;

/// <summary>
/// Tests that read <see cref="Accelerator.AllocationCount"/> of the shared accelerators: they run alone, after the
/// parallel tests, so no other test allocates in between.
/// </summary>
[CollectionDefinition(nameof(AllocationCountingCollection), DisableParallelization = true)]
public sealed class AllocationCountingCollection;

/// <summary>
/// Repeated attention calls of one shape allocate no device memory once the first has filled the scratch pool:
/// rectified with every diagnostic read and a video layout, block-sparse with a supplied mask, and dense, each disposed
/// before the next round, on one stream; then on a second stream, which after a synchronisation takes what the first
/// handed back. (Without one, a stream takes another's buffers only once the device has passed them, so how many sets
/// the pool grows to while streams alternate depends on timing.)
/// </summary>
[Collection(nameof(AllocationCountingCollection))]
public class SteadyStateAllocationTests(ITestOutputHelper output)
{
    public static TheoryData<AcceleratorKind> Kinds => TestAccelerators.AllKinds;

    [Theory]
    [MemberData(nameof(Kinds))]
    public void RepeatedCallsOfOneShapeAllocateNoDeviceMemory(AcceleratorKind kind)
    {
        Accelerator accelerator = TestAccelerators.Shared(kind, output);
        if (kind == AcceleratorKind.Cuda) Check<BFloat16>(accelerator, new VideoGrid(8, 16, 16), heads: 4, dim: 128, block: 128);
        else Check<float>(accelerator, new VideoGrid(4, 8, 8), heads: 2, dim: 64, block: 64);
    }

    private void Check<T>(Accelerator accelerator, VideoGrid grid, int heads, int dim, int block) where T : unmanaged
    {
        int seed = TestAccelerators.NewSeed();
        using var x = new StreamTestInputs<T>(accelerator, heads, grid.TokenCount, dim, seed);
        int blocks = (grid.TokenCount + block - 1) / block;
        var mask = new HostTensor<bool>(1, heads, blocks, blocks);
        var random = new Random(seed);
        foreach (ref bool m in mask.Span) m = random.Next(3) == 0;
        var rectified = new RectifiedSpaAttnOptions { QueryBlockSize = block, KeyBlockSize = block, DropRate = 0.5, VideoLayout = new VideoLayout(grid) };
        var sparse = new RectifiedSpaAttnOptions { QueryBlockSize = block, KeyBlockSize = block, CriticalMask = mask };
        using AcceleratorStream second = accelerator.CreateStream();

        void Round(AcceleratorStream? stream)
        {
            using (AttentionResult<T> r = AttentionOperations.Rectified(x.Q, x.K, x.V, rectified, AttentionDiagnostics.All, stream))
            {
                Assert.InRange(r.Density, 0.0, 1.0);
                Assert.NotNull(r.Mask);
                Assert.NotNull(r.BlockMass);
                Assert.NotNull(r.Compensation);
            }
            using (AttentionResult<T> s = AttentionOperations.BlockSparse(x.Q, x.K, x.V, sparse, AttentionDiagnostics.Mask, stream))
                Assert.Equal(mask.Span.ToArray(), s.Mask!.Span.ToArray());
            AttentionOperations.Dense(x.Q, x.K, x.V, stream: stream).Dispose();
        }

        Round(null);
        long before = accelerator.AllocationCount;
        for (int i = 0; i < 4; i++) Round(null);
        long onOneStream = accelerator.AllocationCount - before;
        accelerator.Synchronize();
        for (int i = 0; i < 4; i++) Round(second);
        long onTheSecond = accelerator.AllocationCount - before - onOneStream;
        output.WriteLine($"{accelerator.Kind}: {onOneStream} allocations in 4 rounds on the default stream after the first, {onTheSecond} in 4 on a second stream");
        Assert.Equal(0, onOneStream);
        Assert.Equal(0, onTheSecond);
    }
}
