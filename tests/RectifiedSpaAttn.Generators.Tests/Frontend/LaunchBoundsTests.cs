using Microsoft.CodeAnalysis;
using RectifiedSpaAttn.Generators.Backends.Ptx;
using RectifiedSpaAttn.Generators.Ir;
using RectifiedSpaAttn.Generators.Tests.Ptx;

namespace RectifiedSpaAttn.Generators.Tests.Frontend;

/// <summary>
/// <c>KernelHint.LaunchBounds</c>: constant (after specialisation) bounds reach the IR and become PTX
/// <c>.maxntid</c>/<c>.minnctapersm</c> between the parameters and the body, where ptxas accepts them; misuse is a
/// build error at the call.
/// </summary>
public class LaunchBoundsTests(ITestOutputHelper output)
{
    private const string Kernel = """
        static partial class K
        {
            [Kernel]
            [Specialize("groups", 0, 2)]
            static void Run(ArrayView<float> x, [Constant] int groups)
            {
                KernelHint.LaunchBounds(64 * 2, groups);
                x[Grid.GlobalIndexX] = 1f;
            }
        }
        """;

    [Fact]
    public void SpecialisedBoundsReachTheIrAndThePtxDirectives()
    {
        List<IrKernel> variants = GeneratorHarness.Lower(Kernel, "Run");
        Assert.Equal(2, variants.Count);
        foreach (IrKernel k in variants)
        {
            int groups = k.EntryPoint.EndsWith("_2", StringComparison.Ordinal) ? 2 : 0;
            Assert.NotNull(k.LaunchBounds);
            Assert.Equal(128, k.LaunchBounds!.MaxGroupSize);
            Assert.Equal(groups, k.LaunchBounds.MinGroupsPerMultiprocessor);

            string ptx = PtxTestSupport.Compile(k, output);
            string header = ptx[ptx.IndexOf(".visible .entry", StringComparison.Ordinal)..ptx.IndexOf('{')];
            Assert.Contains("\n.maxntid 128, 1, 1\n", header);
            // No wish, no directive: .minnctapersm 0 is not valid PTX.
            Assert.Equal(groups > 0, header.Contains($".minnctapersm {groups}\n", StringComparison.Ordinal));
            Assert.Equal(groups > 0, header.Contains(".minnctapersm", StringComparison.Ordinal));
        }
    }

    /// <summary>
    /// 96 floats summed in a loop with a runtime trip count are all live across it: ptxas gives the kernel about 100
    /// registers unbounded, and at most 64 (65536 / (4 groups x 256 threads)) when asked for 4 groups of 256.
    /// </summary>
    [Fact]
    public void MinimumGroupsCapPtxasRegisters()
    {
        const string source = """
            static partial class K
            {
                [Kernel]
                [Specialize("bounded", false, true)]
                static void Run(ArrayView<float> x, int n, [Constant] bool bounded)
                {
                    if (bounded) KernelHint.LaunchBounds(256, 4);
                    Span<float> acc = stackalloc float[96];
                    int i = Grid.GlobalIndexX;
                    for (int r = 0; r < 96; r++) acc[r] = x[i + r];
                    int t = 0;
                    while (t < n)
                    {
                        for (int r = 0; r < 96; r++) acc[r] = acc[r] * acc[(r + 1) % 96] + 1f;
                        t++;
                    }
                    float s = 0;
                    for (int r = 0; r < 96; r++) s += acc[r];
                    x[i] = s;
                }
            }
            """;
        List<IrKernel> variants = GeneratorHarness.Lower(source, "Run");
        IrKernel free = variants.Single(v => v.LaunchBounds is null), bounded = variants.Single(v => v.LaunchBounds is not null);
        int? freeRegisters = PtxAssembler.Registers(PtxBackend.Emit(free), "sm_90", output, free.EntryPoint);
        int? boundedRegisters = PtxAssembler.Registers(PtxBackend.Emit(bounded), "sm_90", output, bounded.EntryPoint);
        if (freeRegisters is null || boundedRegisters is null) return;
        Assert.True(freeRegisters > 64, $"the unbounded kernel should need more than 64 registers, it uses {freeRegisters}");
        Assert.True(boundedRegisters <= 64, $"the bounded kernel uses {boundedRegisters} registers, more than 4 x 256 threads allow");
    }

    [Fact]
    public void KernelsWithoutTheHintHaveNoDirectives()
    {
        IrKernel k = GeneratorHarness.Lower(Kernel.Replace("KernelHint.LaunchBounds(64 * 2, groups);", ""), "Run")[0];
        Assert.Null(k.LaunchBounds);
        string ptx = PtxBackend.Emit(k);
        Assert.DoesNotContain(".maxntid", ptx);
        Assert.DoesNotContain(".minnctapersm", ptx);
    }

    [Theory]
    [InlineData("KernelHint.LaunchBounds((int)x.Length, 1);", "not a constant")]
    [InlineData("KernelHint.LaunchBounds(2048, 1);", "1 to 1024")]
    [InlineData("KernelHint.LaunchBounds(128, -1);", "1 to 1024")]
    [InlineData("KernelHint.LaunchBounds(128, 1); KernelHint.LaunchBounds(128, 2);", "once per kernel")]
    public void MisuseIsABuildErrorAtTheCall(string statement, string message)
    {
        string source = Kernel.Replace("KernelHint.LaunchBounds(64 * 2, groups);", statement);
        var (diagnostics, output) = GeneratorHarness.Run(source);
        Assert.NotEmpty(diagnostics);
        Assert.All(diagnostics, d =>
        {
            Assert.Equal("RSA0001", d.Id);
            Assert.Equal(DiagnosticSeverity.Error, d.Severity);
            Assert.Contains(message, d.GetMessage(), StringComparison.Ordinal);
            // At the offending call or argument.
            string marked = GeneratorHarness.Marked(d, output);
            Assert.NotEmpty(marked);
            Assert.Contains(marked, statement, StringComparison.Ordinal);
        });
    }
}
