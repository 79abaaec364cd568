using RectifiedSpaAttn.Attention;
using RectifiedSpaAttn.Attention.Pipeline;
using RectifiedSpaAttn.Compute;
using RectifiedSpaAttn.Tensors;
using RectifiedSpaAttn.Tests.Accelerators;

namespace RectifiedSpaAttn.Tests.Attention;

/// <summary>
/// The ways the device API can run, one per test theory row: the CPU accelerator with its vectorised host attention
/// ("cpu"), the CPU accelerator running the generated flash kernels under emulation ("cpu-kernels"), OpenCL (pocl here;
/// a missing platform fails in CI), and CUDA (on the GPU machine).
/// </summary>
internal static class AttentionRoutes
{
    public const string Cpu = "cpu", CpuKernels = "cpu-kernels", OpenCL = "opencl", Cuda = "cuda";

    public static TheoryData<string> All => new() { Cpu, CpuKernels, OpenCL, Cuda };

    /// <summary>The shared accelerator for <paramref name="route"/>, or null when its backend is absent here (outside CI for OpenCL).</summary>
    public static Accelerator? Open(string route, ITestOutputHelper output) => route switch
    {
        Cpu or CpuKernels => TestAccelerators.Shared(AcceleratorKind.Cpu, output),
        OpenCL => TestAccelerators.Shared(AcceleratorKind.OpenCL, output),
        _ => TestAccelerators.Shared(AcceleratorKind.Cuda, output),
    };

    /// <summary>Runs <paramref name="method"/> on <paramref name="route"/> with every diagnostic.</summary>
    public static AttentionResult<T> Run<T>(string route, AttentionMethod method, DeviceTensor<T> q, DeviceTensor<T> k, DeviceTensor<T> v, RectifiedSpaAttnOptions options)
        where T : unmanaged
        => AttentionPipeline.Run(q, k, v, options, method, AttentionDiagnostics.All, forceKernels: route == CpuKernels);
}
