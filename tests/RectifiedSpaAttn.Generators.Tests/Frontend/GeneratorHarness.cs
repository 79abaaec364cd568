using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using RectifiedSpaAttn.Compute;
using RectifiedSpaAttn.Generators.Frontend;
using RectifiedSpaAttn.Generators.Ir;

namespace RectifiedSpaAttn.Generators.Tests.Frontend;

/// <summary>Runs the kernel generator on C# source in memory, the way the compiler does in a build.</summary>
internal static class GeneratorHarness
{
    private static readonly Lazy<MetadataReference[]> s_references = new(() =>
    {
        var paths = ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator).ToList();
        paths.Add(typeof(ArrayView<>).Assembly.Location);
        return paths.Distinct().Select(p => (MetadataReference)MetadataReference.CreateFromFile(p)).ToArray();
    });

    private static readonly CSharpParseOptions ParseOptions = new(LanguageVersion.Latest);

    public const string Usings = "using System; using RectifiedSpaAttn.Compute; using RectifiedSpaAttn.Numerics;\n";

    public static CSharpCompilation Compilation(string source) => CSharpCompilation.Create(
        "KernelTests",
        new[] { CSharpSyntaxTree.ParseText(Usings + source, ParseOptions, path: "Kernels.cs") },
        s_references.Value,
        new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, allowUnsafe: true, nullableContextOptions: NullableContextOptions.Enable));

    /// <summary>The generator's own diagnostics and the compilation with its output added.</summary>
    public static (ImmutableArray<Diagnostic> Diagnostics, Compilation Output) Run(string source)
    {
        GeneratorDriver driver = CSharpGeneratorDriver.Create(new[] { new KernelGenerator().AsSourceGenerator() }, parseOptions: ParseOptions);
        driver = driver.RunGeneratorsAndUpdateCompilation(Compilation(source), out Compilation output, out ImmutableArray<Diagnostic> diagnostics);
        return (diagnostics, output);
    }

    /// <summary>
    /// The source text a diagnostic marks. The generator reports positions as file path and span (plain data, no
    /// syntax tree), so the text is read from the compilation's tree of that path.
    /// </summary>
    public static string Marked(Diagnostic d, Compilation compilation)
    {
        SyntaxTree tree = compilation.SyntaxTrees.Single(t => t.FilePath == d.Location.GetLineSpan().Path);
        return tree.ToString().Substring(d.Location.SourceSpan.Start, d.Location.SourceSpan.Length);
    }

    /// <summary>The IR of every specialisation of the kernel <paramref name="method"/> in <paramref name="source"/>.</summary>
    public static List<IrKernel> Lower(string source, string method)
    {
        CSharpCompilation compilation = Compilation(source);
        SyntaxTree tree = compilation.SyntaxTrees[0];
        SemanticModel model = compilation.GetSemanticModel(tree);
        var declaration = tree.GetRoot().DescendantNodes().OfType<Microsoft.CodeAnalysis.CSharp.Syntax.MethodDeclarationSyntax>().Single(m => m.Identifier.Text == method);
        var symbol = model.GetDeclaredSymbol(declaration)!;
        IOperation body = model.GetOperation(declaration)!;
        return KernelSpecializations.Enumerate(symbol, method).Select(s =>
        {
            var lowering = new KernelLowering(compilation);
            IrKernel ir = lowering.Lower(symbol, body, s.EntryPoint, s.TypeArguments, s.Constants);
            if (lowering.Errors.Count > 0) throw lowering.Errors[0];
            return ir;
        }).ToList();
    }
}
