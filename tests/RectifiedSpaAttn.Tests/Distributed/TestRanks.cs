using RectifiedSpaAttn.Compute;
using RectifiedSpaAttn.Compute.Collectives;
using RectifiedSpaAttn.Compute.Collectives.Nccl;
using RectifiedSpaAttn.Compute.Cpu;
using RectifiedSpaAttn.Tests.Accelerators;
using RectifiedSpaAttn.Tests.TestSupport;

namespace RectifiedSpaAttn.Tests.Distributed;

/// <summary>
/// A communicator and its accelerators for a test, on one backend: CPU and OpenCL ranks exchange through host memory;
/// CUDA ranks are every GPU of the machine, through NCCL. Without NCCL a CUDA test is skipped, and fails where
/// <c>RSA_REQUIRE_NCCL=1</c> (set it on GPU machines that carry NCCL).
/// </summary>
internal sealed class TestRanks : IDisposable
{
    private readonly List<IDisposable> _owned = [];

    private TestRanks(Communicator communicator, IEnumerable<IDisposable> owned)
    {
        Communicator = communicator;
        _owned.AddRange(owned);
    }

    public Communicator Communicator { get; }

    public IReadOnlyList<Accelerator> Accelerators => Communicator.Accelerators;

    public int Size => Communicator.Size;

    /// <summary><paramref name="ranks"/> ranks on <paramref name="kind"/>; on CUDA as many as there are GPUs (the request is a maximum).</summary>
    public static TestRanks Create(AcceleratorKind kind, int ranks, ITestOutputHelper output)
    {
        if (kind != AcceleratorKind.Cuda)
        {
            var accelerators = new List<Accelerator>();
            for (int i = 0; i < ranks; i++) accelerators.Add(kind == AcceleratorKind.Cpu ? new CpuAccelerator() : TestAccelerators.CreateOwned(kind, output));
            return new TestRanks(Communicator.CreateHost(accelerators), accelerators);
        }
        CudaTestDevice.TryGet(output);
        if (!NcclCommunicator.IsAvailable) RequireNccl("NCCL cannot be loaded (set RSA_NCCL_LIBRARY to libnccl.so.2).");
        var context = Context.Create();
        var gpus = context.Devices.Where(d => d.Kind == AcceleratorKind.Cuda).Take(ranks).Select(context.CreateAccelerator).ToList();
        output.WriteLine($"{gpus.Count} GPU rank(s) through NCCL");
        return new TestRanks(NcclCommunicator.CreateAll(gpus), [.. gpus, context]);
    }

    private static void RequireNccl(string why)
    {
        if (Environment.GetEnvironmentVariable("RSA_REQUIRE_NCCL") == "1") Assert.Fail("RSA_REQUIRE_NCCL=1 but " + why);
        MissingTool.RequiredOnGpuMachines(why);
    }

    public void Dispose()
    {
        Communicator.Dispose();
        for (int i = _owned.Count - 1; i >= 0; i--) _owned[i].Dispose();
    }
}
