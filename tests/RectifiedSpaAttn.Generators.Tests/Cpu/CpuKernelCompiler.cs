using System.Reflection;
using System.Runtime.Loader;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using RectifiedSpaAttn.Compute;
using RectifiedSpaAttn.Generators.Backends.Cpu;
using RectifiedSpaAttn.Generators.Ir;

namespace RectifiedSpaAttn.Generators.Tests.Cpu;

/// <summary>
/// Compiles the CPU backend's output in memory, as a generated static class in an assembly of its own that only
/// references the framework and the library, with every warning (all warning waves) treated as an error, no
/// unsafe code allowed and nullable enabled; wraps the group function in a <see cref="KernelVariant"/>.
/// </summary>
internal static class CpuKernelCompiler
{
    private static readonly Lazy<MetadataReference[]> s_references = new(() =>
    {
        string tpa = (string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!;
        return tpa.Split(Path.PathSeparator)
            .Where(p => Path.GetFileName(p).StartsWith("System.", StringComparison.Ordinal) || Path.GetFileName(p) is "mscorlib.dll" or "netstandard.dll")
            .Append(typeof(KernelVariant).Assembly.Location)
            .Distinct()
            .Select(p => (MetadataReference)MetadataReference.CreateFromFile(p))
            .ToArray();
    });

    private static int s_count;

    public static KernelVariant Compile(IrKernel kernel) => Compile(kernel, out _);

    public static KernelVariant Compile(IrKernel kernel, out string source)
    {
        string members = CpuBackend.Emit(kernel, "Run");
        string ns = "CpuBackendTest" + Interlocked.Increment(ref s_count);
        source = $$"""
            namespace {{ns}}
            {
                internal static partial class GeneratedKernels
                {
            {{members}}
                    public static global::RectifiedSpaAttn.Compute.CpuGroupFunction Function => Run;
                }
            }
            """;

        var compilation = CSharpCompilation.Create(
            ns,
            [CSharpSyntaxTree.ParseText(source, new CSharpParseOptions(LanguageVersion.CSharp10))],
            s_references.Value,
            new CSharpCompilationOptions(
                OutputKind.DynamicallyLinkedLibrary,
                optimizationLevel: OptimizationLevel.Release,
                allowUnsafe: false,
                nullableContextOptions: NullableContextOptions.Enable,
                warningLevel: 9999,
                generalDiagnosticOption: ReportDiagnostic.Error));

        using var image = new MemoryStream();
        var result = compilation.Emit(image);
        var problems = result.Diagnostics.Where(d => d.Severity >= DiagnosticSeverity.Warning).ToList();
        if (!result.Success || problems.Count > 0)
            throw new InvalidOperationException("The CPU backend's output does not compile cleanly:\n"
                + string.Join("\n", problems.Select(d => d.ToString())) + "\n\n" + Numbered(source));

        image.Position = 0;
        Assembly assembly = AssemblyLoadContext.Default.LoadFromStream(image);
        var function = (CpuGroupFunction)assembly.GetType(ns + ".GeneratedKernels")!
            .GetProperty("Function", BindingFlags.Public | BindingFlags.Static)!.GetValue(null)!;

        KernelParameter[] parameters = kernel.Parameters
            .Select(p => new KernelParameter(p.Name,
                p.Kind == IrParamKind.Buffer ? KernelParameterKind.Buffer : KernelParameterKind.Scalar,
                Enum.Parse<ScalarType>(IrTypes.ScalarTypeName(p.Type))))
            .ToArray();
        return new KernelVariant("CpuBackendTests." + kernel.EntryPoint, kernel.EntryPoint, new Dictionary<string, string>(),
            parameters, kernel.StaticSharedBytes, "", "", function);
    }

    private static string Numbered(string source)
        => string.Join("\n", source.Split('\n').Select((line, i) => $"{i + 1,4}: {line}"));
}
