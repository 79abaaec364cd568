using RectifiedSpaAttn.Compute;
using RectifiedSpaAttn.Compute.Collectives;
using RectifiedSpaAttn.Compute.Collectives.Nccl;
using RectifiedSpaAttn.Compute.Cpu;
using RectifiedSpaAttn.Tests.Accelerators;

namespace RectifiedSpaAttn.Tests.Distributed;

/// <summary>
/// The collectives on every backend against a host all-to-all: random data, receive buffers poisoned first so an element
/// nobody wrote shows up. CPU and OpenCL ranks go through host memory, CUDA ranks through NCCL (every GPU present).
/// </summary>
public class CommunicatorTests(ITestOutputHelper output)
{
    private const int Poison = int.MinValue;

    public static TheoryData<AcceleratorKind> Kinds => TestAccelerators.AllKinds;

    [Theory, MemberData(nameof(Kinds))]
    public void AllToAllSendsChunkPToRankP(AcceleratorKind kind)
    {
        using TestRanks ranks = TestRanks.Create(kind, ranks: 3, output);
        int p = ranks.Size, chunk = 1000 + Random.Shared.Next(100);
        var random = new Random(TestAccelerators.NewSeed());
        int[][] send = [.. Enumerable.Range(0, p).Select(_ => Enumerable.Range(0, p * chunk).Select(_ => random.Next()).ToArray())];
        using Buffers<int> buffers = Buffers<int>.Upload(ranks.Accelerators, send, p * chunk, Poison);

        ranks.Communicator.AllToAll(buffers.SendViews, buffers.ReceiveViews, chunk);
        ranks.Communicator.Synchronize();

        for (int to = 0; to < p; to++)
        {
            int[] expected = [.. Enumerable.Range(0, p).SelectMany(from => send[from].AsSpan(to * chunk, chunk).ToArray())];
            Assert.Equal(expected, buffers.Received(to));
        }
    }

    [Theory, MemberData(nameof(Kinds))]
    public void AllGatherPutsRankRAtRTimesCount(AcceleratorKind kind)
    {
        using TestRanks ranks = TestRanks.Create(kind, ranks: 2, output);
        int p = ranks.Size, count = 777;
        var random = new Random(TestAccelerators.NewSeed());
        int[][] send = [.. Enumerable.Range(0, p).Select(_ => Enumerable.Range(0, count).Select(_ => random.Next()).ToArray())];
        using Buffers<int> buffers = Buffers<int>.Upload(ranks.Accelerators, send, p * count, Poison);

        ranks.Communicator.AllGather(buffers.SendViews, buffers.ReceiveViews, count);
        ranks.Communicator.Synchronize();

        int[] expected = [.. send.SelectMany(s => s)];
        for (int r = 0; r < p; r++) Assert.Equal(expected, buffers.Received(r));
    }

    [Fact]
    public void TransfersOutsideABufferOrTheGroupAreRefused()
    {
        using var one = new CpuAccelerator();
        using var two = new CpuAccelerator();
        using Communicator communicator = Communicator.CreateHost([one, two]);
        using DeviceBuffer<float> a = one.Allocate<float>(10), b = two.Allocate<float>(10);
        ArrayView<float>[] views = [a.View, b.View];
        Assert.Contains("11 are needed", Assert.Throws<ArgumentException>(
            () => communicator.Exchange(views, views, [new Transfer(0, 5, 1, 0, 6)])).Message);
        Assert.Contains("outside [0, 2)", Assert.Throws<ArgumentException>(
            () => communicator.Exchange(views, views, [new Transfer(0, 0, 2, 0, 1)])).Message);
        Assert.Contains("one each", Assert.Throws<ArgumentException>(
            () => communicator.AllToAll([a.View], views, 5)).Message);
    }

    [Fact]
    public void NcclIsAskedForOnlyForCudaGpusAndItsAbsenceIsExplained()
    {
        using var cpu = new CpuAccelerator();
        Assert.Contains("NCCL connects CUDA GPUs", Assert.Throws<ArgumentException>(() => NcclCommunicator.CreateAll([cpu])).Message);
        if (NcclCommunicator.IsAvailable)
        {
            output.WriteLine("NCCL is present here; its absence cannot be shown.");
            return;
        }
        // On a machine without NCCL, asking for it (through a GPU or not) says what is missing and how to supply it.
        var error = Assert.Throws<NotSupportedException>(() => NcclUniqueId.Create());
        Assert.Contains("Multi-GPU attention needs NCCL", error.Message);
        Assert.Contains("RSA_NCCL_LIBRARY", error.Message);
    }

    [Fact]
    public void UniqueIdsRoundTripThroughBytes()
    {
        byte[] bytes = new byte[NcclUniqueId.Size];
        Random.Shared.NextBytes(bytes);
        NcclUniqueId id = NcclUniqueId.FromBytes(bytes);
        Assert.Equal(bytes, id.ToArray());
        Assert.Equal(id, NcclUniqueId.FromBytes(id.ToArray()));
        Assert.Throws<ArgumentException>(() => NcclUniqueId.FromBytes(bytes.AsSpan(1)));
    }

    /// <summary>A send and a (poisoned) receive buffer per rank.</summary>
    private sealed class Buffers<T> : IDisposable where T : unmanaged
    {
        private readonly DeviceBuffer<T>[] _send, _receive;

        private Buffers(DeviceBuffer<T>[] send, DeviceBuffer<T>[] receive)
        {
            _send = send;
            _receive = receive;
        }

        public ArrayView<T>[] SendViews => [.. _send.Select(b => b.View)];

        public ArrayView<T>[] ReceiveViews => [.. _receive.Select(b => b.View)];

        public static Buffers<T> Upload(IReadOnlyList<Accelerator> accelerators, T[][] send, int receiveLength, T poison)
        {
            var sendBuffers = new DeviceBuffer<T>[accelerators.Count];
            var receiveBuffers = new DeviceBuffer<T>[accelerators.Count];
            for (int r = 0; r < accelerators.Count; r++)
            {
                sendBuffers[r] = accelerators[r].Allocate<T>(send[r].Length);
                sendBuffers[r].CopyFrom(send[r]);
                receiveBuffers[r] = accelerators[r].Allocate<T>(receiveLength);
                receiveBuffers[r].Fill(poison);
            }
            return new Buffers<T>(sendBuffers, receiveBuffers);
        }

        public T[] Received(int rank) => _receive[rank].ToArray();

        public void Dispose()
        {
            foreach (DeviceBuffer<T> buffer in _send.Concat(_receive)) buffer.Dispose();
        }
    }
}
