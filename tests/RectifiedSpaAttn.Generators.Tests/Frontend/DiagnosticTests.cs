using Microsoft.CodeAnalysis;

namespace RectifiedSpaAttn.Generators.Tests.Frontend;

/// <summary>Unsupported C# in a kernel is a compiler error with an RSA id at the offending construct.</summary>
public class DiagnosticTests
{
    private static Diagnostic Single(string kernelBody, string parameters = "ArrayView<float> x", string attributes = "", string extra = "")
    {
        string source = $$"""
            static partial class K
            {
                {{extra}}
                [Kernel]{{attributes}}
                static void Run({{parameters}})
                {
                    {{kernelBody}}
                }
            }
            """;
        var (diagnostics, output) = GeneratorHarness.Run(source);
        Diagnostic d = Assert.Single(diagnostics);
        s_marked.AddOrUpdate(d, GeneratorHarness.Marked(d, output));
        return d;
    }

    /// <summary>The source text each diagnostic returned by <see cref="Single"/> marks.</summary>
    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<Diagnostic, string> s_marked = new();

    private static string Marked(Diagnostic d) => s_marked.TryGetValue(d, out string? text) ? text : throw new InvalidOperationException("not from Single");

    [Fact]
    public void ArrayAllocationIsRSA0002AtTheAllocation()
    {
        Diagnostic d = Single("var tmp = new float[4]; x[0] = tmp[0];");
        Assert.Equal("RSA0002", d.Id);
        Assert.Equal("new float[4]", Marked(d));
        Assert.Equal(DiagnosticSeverity.Error, d.Severity);
    }

    [Fact]
    public void ADiagnosticLiesInTheCompilationsOwnSyntaxTreeSoEditorsUnderlineItsSpan()
    {
        // A location by path alone (Location.Create(path, span, lines)) is listed with its line but is not "in source":
        // editors place squiggles only for locations in a syntax tree of the compilation.
        var (diagnostics, output) = GeneratorHarness.Run("""
            static partial class K
            {
                [Kernel]
                static void Run(ArrayView<float> x)
                {
                    var tmp = new float[4];
                    x[0] = tmp[0];
                }
            }
            """);
        Diagnostic d = Assert.Single(diagnostics);
        Assert.Equal(LocationKind.SourceFile, d.Location.Kind);
        Assert.True(d.Location.IsInSource);
        SyntaxTree tree = d.Location.SourceTree!;
        Assert.Contains(tree, output.SyntaxTrees);
        Assert.Equal("new float[4]", tree.GetText().ToString(d.Location.SourceSpan));
        // Line 6 of the kernel source, after the one line of usings the harness adds; columns 19-31 (0-based 18-30).
        FileLinePositionSpan lines = d.Location.GetLineSpan();
        Assert.Equal((6, 18, 6, 30), (lines.StartLinePosition.Line, lines.StartLinePosition.Character, lines.EndLinePosition.Line, lines.EndLinePosition.Character));
    }

    [Fact]
    public void ThrowIsRSA0004()
    {
        Diagnostic d = Single("if (x.Length == 0) throw new InvalidOperationException(); x[0] = 1;");
        Assert.Equal("RSA0004", d.Id);
        Assert.StartsWith("throw", Marked(d));
    }

    [Fact]
    public void InterfaceCallIsRSA0005()
    {
        Diagnostic d = Single("IComparable<int> c = 3; x[0] = c.CompareTo(2);");
        Assert.Contains(d.Id, new[] { "RSA0003", "RSA0005" });
    }

    [Fact]
    public void RecursionIsRSA0006()
    {
        Diagnostic d = Single("x[0] = F(3);", extra: "static float F(int n) => n == 0 ? 1 : F(n - 1);");
        Assert.Equal("RSA0006", d.Id);
    }

    [Fact]
    public void RegisterArrayIndexedByAVariableIsRSA0007WithAHint()
    {
        Diagnostic d = Single("Span<float> acc = stackalloc float[4]; int i = Grid.GlobalIndexX; acc[i] = 1; x[0] = acc[0];");
        Assert.Equal("RSA0007", d.Id);
        Assert.Equal("i", Marked(d));
        Assert.Contains("Hint", d.GetMessage());
    }

    [Fact]
    public void NonStaticKernelIsRSA0008()
    {
        var (diagnostics, _) = GeneratorHarness.Run("partial class K { [Kernel] void Run(ArrayView<float> x) { x[0] = 1; } }");
        Assert.Equal("RSA0008", Assert.Single(diagnostics).Id);
    }

    [Fact]
    public void MissingSpecialisationIsRSA0009()
    {
        var (diagnostics, _) = GeneratorHarness.Run("static partial class K { [Kernel] static void Run<T>(ArrayView<T> x) where T : unmanaged { } }");
        Diagnostic d = Assert.Single(diagnostics);
        Assert.Equal("RSA0009", d.Id);
        Assert.Contains("'T'", d.GetMessage());
    }

    [Fact]
    public void CallWithoutSourceIsRSA0010()
    {
        Diagnostic d = Single("x[0] = (float)Random.Shared.NextDouble();");
        Assert.Contains(d.Id, new[] { "RSA0005", "RSA0010" });
    }

    [Fact]
    public void NonPartialContainerIsRSA0012()
    {
        var (diagnostics, output) = GeneratorHarness.Run("static class K { [Kernel] static void Run(ArrayView<float> x) { x[0] = 1; } }");
        Diagnostic d = Assert.Single(diagnostics);
        Assert.Equal("RSA0012", d.Id);
        Assert.Equal("K", GeneratorHarness.Marked(d, output));
    }

    [Fact]
    public void SupportedKernelsProduceNoDiagnosticsAndCompilingCode()
    {
        var (diagnostics, output) = GeneratorHarness.Run("""
            static partial class K
            {
                [Kernel]
                [Specialize("T", typeof(float), typeof(BFloat16))]
                static void Scale<T>(ArrayView<T> x, float a, [Constant] int unroll) where T : unmanaged
                {
                    int i = Grid.GlobalIndexX * unroll;
                    for (int u = 0; u < unroll; u++)
                    {
                        KernelHint.Unroll();
                        if (i + u < x.Length) x[i + u] = Element.FromFloat<T>(Element.ToFloat(x[i + u]) * a);
                    }
                }
            }
            """.Replace("static void Scale<T>", "static void Scale<T>").Replace("[Kernel]", "[Kernel][Specialize(\"unroll\", 1, 4)]"));
        Assert.Empty(diagnostics);
        Assert.Empty(output.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error));
        Assert.Contains(output.SyntaxTrees, t => t.ToString().Contains("Scale_T_bfloat16_unroll_4"));
        Assert.Contains(output.SyntaxTrees, t => t.ToString().Contains("public static bool TryGetVariant(global::System.Type T, int @unroll,"));
    }

    [Fact]
    public void EveryIndependentErrorOfAKernelIsReported()
    {
        // An allocation and a throw, in separate statements; the later use of 'tmp' is not a third error.
        var (diagnostics, output) = GeneratorHarness.Run("""
            static partial class K
            {
                [Kernel]
                static void Run(ArrayView<float> x)
                {
                    var tmp = new float[4];
                    if (x.Length == 0) throw new InvalidOperationException();
                    x[0] = tmp[0];
                }
            }
            """);
        Assert.Equal(["RSA0002", "RSA0004"], diagnostics.Select(d => d.Id).Order());
        Assert.Equal("new float[4]", GeneratorHarness.Marked(diagnostics.Single(d => d.Id == "RSA0002"), output));
        Assert.DoesNotContain(output.SyntaxTrees, t => t.FilePath.EndsWith(".g.cs"));
    }

    [Fact]
    public void AnErrorInsideALoopAndOneAfterItAreBothReported()
    {
        var (diagnostics, _) = GeneratorHarness.Run("""
            static partial class K
            {
                [Kernel]
                static void Run(ArrayView<float> x)
                {
                    for (int i = 0; i < 4; i++)
                    {
                        IComparable<int> c = i;
                        x[i] = 1;
                    }
                    x[0] = (float)Random.Shared.NextDouble();
                }
            }
            """);
        Assert.Equal(2, diagnostics.Length);
        Assert.Contains(diagnostics, d => d.Id == "RSA0003");
        Assert.Contains(diagnostics, d => d.Id is "RSA0005" or "RSA0010");
    }
}
