using RectifiedSpaAttn.Compute;
using RectifiedSpaAttn.Generators.Backends.OpenCL;
using RectifiedSpaAttn.Generators.Ir;

namespace RectifiedSpaAttn.Generators.Tests.OpenCL;

/// <summary>Wraps the backend's text in a hand-made <see cref="KernelVariant"/> so the library's OpenCL accelerator runs it.</summary>
internal static class OpenCLKernelRunner
{
    private static readonly IReadOnlyDictionary<string, string> NoSpecialization = new Dictionary<string, string>();

    /// <summary>Emits <paramref name="kernel"/> (which must be supported) and logs the program, so a failure shows it.</summary>
    public static KernelVariant Variant(IrKernel kernel, ITestOutputHelper output)
    {
        Assert.Null(OpenCLBackend.UnsupportedReason(kernel));
        string program = OpenCLBackend.Emit(kernel);
        output.WriteLine(program);
        KernelParameter[] parameters = [.. kernel.Parameters.Select(p => new KernelParameter(
            p.Name, p.Kind == IrParamKind.Buffer ? KernelParameterKind.Buffer : KernelParameterKind.Scalar,
            Enum.Parse<ScalarType>(IrTypes.ScalarTypeName(p.Type))))];
        return new KernelVariant(
            "OpenCLBackendTests." + kernel.EntryPoint, kernel.EntryPoint, NoSpecialization, parameters, kernel.StaticSharedBytes,
            ptx: "", openCL: program, cpu: CpuNotBuilt);
    }

    private static void CpuNotBuilt(in CpuGroupContext context, ReadOnlySpan<KernelArgument> args)
        => throw new NotSupportedException("these variants are built for the OpenCL backend's tests only");

    public static int NewSeed() => Random.Shared.Next();
}
