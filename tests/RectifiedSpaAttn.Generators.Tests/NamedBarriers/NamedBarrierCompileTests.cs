using Microsoft.CodeAnalysis;
using RectifiedSpaAttn.Generators.Backends.OpenCL;
using RectifiedSpaAttn.Generators.Ir;
using RectifiedSpaAttn.Generators.Tests.Frontend;
using static RectifiedSpaAttn.Generators.Tests.Ptx.PtxTestSupport;

namespace RectifiedSpaAttn.Generators.Tests.NamedBarriers;

/// <summary>
/// <c>NamedBarrier.Sync</c>/<c>Arrive</c> from C#: <c>bar.sync</c>/<c>bar.arrive</c> with constant or register operands in
/// the portable module (assembled for sm_80 and sm_90), RSA0001 for a constant id or count out of range, and OpenCL's
/// refusal with the reason.
/// </summary>
public sealed class NamedBarrierCompileTests(ITestOutputHelper output)
{
    /// <summary>FlashAttention-3's ping-pong between the two halves of a group of 256, the id computed at run time.</summary>
    private const string PingPong = """
        static partial class K
        {
            [Kernel]
            static void Run(ArrayView<int> log, int rounds)
            {
                int half = Group.LinearIndex / 128;
                if (half == 1) NamedBarrier.Arrive(1, 256);
                for (int r = 0; r < rounds; r++)
                {
                    NamedBarrier.Sync(1 + half, 256);
                    log[r * 256 + Group.LinearIndex] = half;
                    NamedBarrier.Arrive(2 - half, 256);
                }
            }
        }
        """;

    private IrKernel Lower(string source)
    {
        IrKernel kernel = Assert.Single(GeneratorHarness.Lower(source, "Run"));
        output.WriteLine(IrPrinter.Print(kernel));
        return kernel;
    }

    [Fact]
    public void SyncAndArriveAreBarSyncAndBarArriveInThePortableModule()
    {
        IrKernel kernel = Lower(PingPong);
        Assert.False(kernel.RequiresHopper);
        string ptx = Compile(kernel, output);
        Assert.Contains(".target sm_80\n", ptx);
        AssertInstruction(ptx, @"bar\.arrive 1, 256");
        AssertInstruction(ptx, $@"bar\.sync {R}, 256");
        AssertInstruction(ptx, $@"bar\.arrive {R}, 256");
    }

    [Fact]
    public void OpenCLRefusesTheKernelWithTheReason()
    {
        string? reason = OpenCLBackend.UnsupportedReason(Lower(PingPong));
        Assert.NotNull(reason);
        Assert.Contains("named barriers", reason);
    }

    [Theory]
    [InlineData("NamedBarrier.Sync(0, 64);", "barrier 0")]
    [InlineData("NamedBarrier.Arrive(16, 64);", "barrier 16")]
    [InlineData("NamedBarrier.Sync(1, 48);", "48 threads")]
    [InlineData("NamedBarrier.Arrive(1, 2048);", "2048 threads")]
    public void AConstantIdOrCountOutOfRangeIsRSA0001(string call, string named)
    {
        var (diagnostics, _) = GeneratorHarness.Run($$"""
            static partial class K
            {
                [Kernel]
                static void Run(ArrayView<float> x) { {{call}} x[0] = 1; }
            }
            """);
        Diagnostic d = Assert.Single(diagnostics);
        Assert.Equal("RSA0001", d.Id);
        Assert.Contains(named, d.GetMessage());
    }
}
