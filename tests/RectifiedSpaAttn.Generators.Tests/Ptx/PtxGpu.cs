using RectifiedSpaAttn.Compute;
using RectifiedSpaAttn.Generators.Backends.Ptx;
using RectifiedSpaAttn.Generators.Ir;
using RectifiedSpaAttn.Tests.TestSupport;

namespace RectifiedSpaAttn.Generators.Tests.Ptx;

/// <summary>
/// Runs generated PTX on a CUDA device through the library's own accelerator (so the parameter contract is checked
/// against the real launcher too). Without CUDA the tests are skipped with the reason, unless <c>RSA_REQUIRE_CUDA=1</c>
/// (set on GPU machines), which turns a missing device into a failure.
/// </summary>
internal static class PtxGpu
{
    private static readonly Lazy<Accelerator?> s_cuda = new(() =>
    {
        if (!Context.IsCudaAvailable) return null;
        var context = Context.Create();
        return context.CreateAccelerator(context.Devices.First(d => d.Kind == AcceleratorKind.Cuda));
    });

    /// <summary>The process-wide CUDA accelerator; skips the test where there is none.</summary>
    public static Accelerator TryGet(ITestOutputHelper output)
    {
        if (!Context.IsCudaAvailable) MissingTool.RequiredOnGpuMachines($"CUDA is {Context.CudaUnavailableReason}.");
        return s_cuda.Value!;
    }

    /// <summary>A launchable variant holding only the PTX form of <paramref name="kernel"/>.</summary>
    public static KernelVariant Variant(IrKernel kernel)
    {
        KernelParameter[] ps = kernel.Parameters.Select(p => new KernelParameter(p.Name,
            p.Kind == IrParamKind.Buffer ? KernelParameterKind.Buffer : KernelParameterKind.Scalar,
            Enum.Parse<ScalarType>(IrTypes.ScalarTypeName(p.Type)))).ToArray();
        return new KernelVariant("PtxTests." + kernel.EntryPoint, kernel.EntryPoint, new Dictionary<string, string>(), ps,
            kernel.StaticSharedBytes, PtxBackend.Emit(kernel), "", (in CpuGroupContext _, ReadOnlySpan<KernelArgument> _) =>
                throw new NotSupportedException("PTX-only test variant."));
    }

    public static KernelArgument Buf<T>(DeviceBuffer<T> b, ScalarType t) where T : unmanaged => KernelArgument.Buffer(b.View, t);

    public static KernelArgument Buf<T>(ArrayView<T> v, ScalarType t) where T : unmanaged => KernelArgument.Buffer(v, t);

    /// <summary>A device buffer holding <paramref name="data"/>.</summary>
    public static DeviceBuffer<T> Upload<T>(Accelerator acc, T[] data) where T : unmanaged
    {
        DeviceBuffer<T> b = acc.Allocate<T>(data.Length);
        b.CopyFrom(data);
        return b;
    }

    /// <summary>A device buffer of <paramref name="length"/> elements filled with <paramref name="poison"/>.</summary>
    public static DeviceBuffer<T> Poisoned<T>(Accelerator acc, long length, T poison) where T : unmanaged
    {
        DeviceBuffer<T> b = acc.Allocate<T>(length);
        b.Fill(poison);
        return b;
    }

    /// <summary>Round to nearest even to bf16 bits (the reference for cvt.rn.bf16.f32; finite inputs).</summary>
    public static ushort Bf16(float f)
    {
        uint u = BitConverter.SingleToUInt32Bits(f);
        u += 0x7FFFu + ((u >> 16) & 1u);
        return (ushort)(u >> 16);
    }

    public static float FromBf16(ushort bits) => BitConverter.UInt32BitsToSingle((uint)bits << 16);

    public static ushort F16(float f) => BitConverter.HalfToUInt16Bits((Half)f);
}
