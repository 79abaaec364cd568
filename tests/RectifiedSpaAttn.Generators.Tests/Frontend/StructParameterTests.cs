using Microsoft.CodeAnalysis;
using RectifiedSpaAttn.Generators.Backends.OpenCL;
using RectifiedSpaAttn.Generators.Backends.Ptx;
using RectifiedSpaAttn.Generators.Ir;

namespace RectifiedSpaAttn.Generators.Tests.Frontend;

/// <summary>
/// A kernel parameter of a user's unmanaged struct is flattened into one scalar parameter per field (depth first, in
/// declaration order) in the IR, the PTX entry and the OpenCL kernel; the launcher takes the struct and passes its
/// fields; a struct that cannot be flattened is RSA0014 at the parameter.
/// </summary>
public class StructParameterTests(ITestOutputHelper output)
{
    private const string Structs = """
        public readonly record struct Window(int Rows, long Stride);
        public struct Sizes
        {
            public Window Source;
            public float Scale;
            public Half Bias;
            public bool Relu;
            public byte Shift;
        }
        """;

    private const string Kernel = Structs + """
        static partial class K
        {
            [Kernel]
            static void Run(ArrayView<float> x, Sizes s, int n)
            {
                int i = Grid.GlobalIndexX;
                if (i < n) x[At(s.Source, i)] = s.Scale * x[i] + (float)s.Bias + (s.Relu ? s.Shift : 0);
            }

            static long At(Window w, int i) => i / w.Rows * w.Stride + i % w.Rows;
        }
        """;

    [Fact]
    public void FieldsBecomeScalarParametersInDeclarationOrderBeforeTheNextParameter()
    {
        IrKernel k = GeneratorHarness.Lower(Kernel, "Run").Single();
        output.WriteLine(IrPrinter.Print(k));
        Assert.Equal(["x", "s_Source_Rows", "s_Source_Stride", "s_Scale", "s_Bias", "s_Relu", "s_Shift", "n"], k.Parameters.Select(p => p.Name));
        Assert.Equal([IrType.I32, IrType.I64, IrType.F32, IrType.F16, IrType.Bool, IrType.U8, IrType.I32], k.Parameters.Skip(1).Select(p => p.Type));
        Assert.All(k.Parameters.Skip(1), p => Assert.Equal(IrParamKind.Scalar, p.Kind));
    }

    [Fact]
    public void ThePtxEntryAndTheOpenCLKernelTakeOneParameterPerFieldWithItsOwnType()
    {
        IrKernel k = GeneratorHarness.Lower(Kernel, "Run").Single();
        string ptx = PtxBackend.Emit(k);
        output.WriteLine(ptx);
        string[] parameters = ptx.Split('\n').Select(l => l.Trim().TrimEnd(',', ')')).Where(l => l.StartsWith(".param", StringComparison.Ordinal)).ToArray();
        Assert.Equal([".param .u64 x_ptr", ".param .u64 x_len", ".param .s32 s_Source_Rows", ".param .s64 s_Source_Stride", ".param .f32 s_Scale",
            ".param .b16 s_Bias", ".param .u32 s_Relu", ".param .u8 s_Shift", ".param .s32 n"], parameters);
        string cl = OpenCLBackend.Emit(k);
        output.WriteLine(cl);
        Assert.Matches(@"int s_Source_Rows,\s+long s_Source_Stride,\s+float s_Scale,\s+\w+ s_Bias,\s+\w+ s_Relu,\s+uchar s_Shift,\s+int n\)", cl);
    }

    [Fact]
    public void TheLauncherTakesTheStructAndPassesEachField()
    {
        var (diagnostics, compilation) = GeneratorHarness.Run(Kernel);
        Assert.Empty(diagnostics);
        Assert.Empty(compilation.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error));
        string launcher = compilation.SyntaxTrees.Select(t => t.ToString()).Single(t => t.Contains("class RunKernel"));
        output.WriteLine(launcher);
        Assert.Contains("global::Sizes @s, int @n)", launcher);
        foreach (string field in new[] { "@s.Source.Rows", "@s.Source.Stride", "@s.Scale", "@s.Bias", "@s.Relu", "@s.Shift" })
            Assert.Contains(field, launcher);
        Assert.True(launcher.IndexOf("@s.Shift", StringComparison.Ordinal) < launcher.IndexOf("(uint)@n", StringComparison.Ordinal), "the fields come before n");
    }

    [Fact]
    public void AStructPassedToAHelperIsReadFromTheParametersWithoutCopies()
    {
        IrKernel k = GeneratorHarness.Lower(Kernel, "Run").Single();
        // At reads w.Rows and w.Stride: the parameters themselves, not registers copied from them.
        Assert.DoesNotContain(IrWalker.Statements(k.Body).OfType<IrAssign>(), a => a.Value is IrParamRef);
        Assert.Contains(IrWalker.Statements(k.Body).SelectMany(IrWalker.DirectExpressions).SelectMany(IrWalker.Expressions), e => e is IrParamRef { Param.Name: "s_Source_Stride" });
    }

    [Fact]
    public void AStructWhoseTypeDependsOnTheKernelsTypeParametersIsRSA0014()
    {
        var (diagnostics, compilation) = GeneratorHarness.Run("""
            public struct Pair<T> where T : unmanaged { public T A; public T B; }

            static partial class K
            {
                [Kernel]
                [Specialize("T", typeof(float))]
                static void Run<T>(ArrayView<float> x, Pair<T> p) where T : unmanaged { x[0] = 1f; }
            }
            """);
        Diagnostic d = Assert.Single(diagnostics);
        Assert.Equal("RSA0014", d.Id);
        Assert.Equal("p", GeneratorHarness.Marked(d, compilation));
        Assert.Contains("depends on the kernel's type parameters", d.GetMessage(), StringComparison.Ordinal);
    }

    public static TheoryData<string, string> Unflattenable => new()
    {
        { "public struct P { public ArrayView<float> Data; public int N; }", "'P.Data' is an ArrayView<T>" },
        { "public struct P { public int N; public string Name; }", "'P.Name' has the reference type 'string'" },
        { "public struct P { public int N; private int _hidden; public int Hidden => _hidden; }", "'P._hidden' is not public or internal" },
        { "public struct Q { public object O; } public struct P { public Q Inner; }", "'Q.O' has the reference type 'object'" },
        { "public unsafe struct P { public int* Pointer; }", "'P.Pointer' has the type 'int*', which is not a kernel scalar" },
    };

    [Theory]
    [MemberData(nameof(Unflattenable))]
    public void AStructThatCannotBeFlattenedIsRSA0014AtTheParameter(string declaration, string reason)
    {
        var (diagnostics, compilation) = GeneratorHarness.Run(declaration + """

            static partial class K
            {
                [Kernel]
                static void Run(ArrayView<float> x, P p) { x[0] = 1f; }
            }
            """);
        Diagnostic d = Assert.Single(diagnostics);
        Assert.Equal("RSA0014", d.Id);
        Assert.Equal("p", GeneratorHarness.Marked(d, compilation));
        Assert.Contains(reason, d.GetMessage(), StringComparison.Ordinal);
        Assert.Equal(DiagnosticSeverity.Error, d.Severity);
    }
}
