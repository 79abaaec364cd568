using RectifiedSpaAttn.Compute;
using RectifiedSpaAttn.Compute.Cpu;
using RectifiedSpaAttn.Generators.Ir;
using RectifiedSpaAttn.Generators.Tests.Cpu;

namespace RectifiedSpaAttn.Generators.Tests.Frontend;

/// <summary>
/// Loops that ask for unrolling (they touch a register array or hold <c>KernelHint.Unroll()</c>) but whose bound is
/// only known at run time stay real loops, keep their counter, and compute what C# computes.
/// </summary>
public class LoopUnrollTests(ITestOutputHelper output)
{
    private const int Threads = 32;

    private IrKernel LowerOne(string source)
    {
        IrKernel k = GeneratorHarness.Lower(source, "Run").Single();
        output.WriteLine(IrPrinter.Print(k));
        return k;
    }

    /// <summary>Runs <paramref name="kernel"/> (parameters: float output, int n) on the CPU backend, one value per thread.</summary>
    private static float[] RunOnCpu(IrKernel kernel, int n)
    {
        KernelVariant variant = CpuKernelCompiler.Compile(kernel);
        using var cpu = new CpuAccelerator();
        using DeviceBuffer<float> result = cpu.Allocate<float>(Threads);
        result.Fill(-1f);
        cpu.Launch(variant, new LaunchDimensions(1, Threads), [KernelArgument.Buffer(result.View, ScalarType.Float32), KernelArgument.From(n)]);
        return result.ToArray();
    }

    [Fact]
    public void RegisterArrayLoopWithARuntimeBoundStaysALoop()
    {
        IrKernel k = LowerOne("""
            static partial class K
            {
                [Kernel]
                static void Run(ArrayView<float> x, int n)
                {
                    Span<float> r = stackalloc float[4];
                    for (int i = 0; i < n; i++) r[0] += 1f;
                    x[Grid.GlobalIndexX] = r[0];
                }
            }
            """);
        Assert.Single(IrWalker.Statements(k.Body).OfType<IrLoop>());
        Assert.All(RunOnCpu(k, 7), v => Assert.Equal(7f, v));
    }

    [Fact]
    public void UnrollHintWithARuntimeBoundKeepsTheCounterForBodyAndStep()
    {
        IrKernel k = LowerOne("""
            static partial class K
            {
                [Kernel]
                static void Run(ArrayView<float> x, int n)
                {
                    float s = 0;
                    for (int i = 1; i <= n; i += 2)
                    {
                        KernelHint.Unroll();
                        s += i;
                    }
                    x[Grid.GlobalIndexX] = s + Group.IdxX;
                }
            }
            """);
        Assert.Single(IrWalker.Statements(k.Body).OfType<IrLoop>());
        float[] values = RunOnCpu(k, 9);
        for (int t = 0; t < Threads; t++) Assert.Equal(1 + 3 + 5 + 7 + 9 + t, values[t]);
    }

    [Fact]
    public void OuterRuntimeLoopAroundAConstantRegisterArrayLoopUnrollsOnlyTheInnerOne()
    {
        IrKernel k = LowerOne("""
            static partial class K
            {
                [Kernel]
                static void Run(ArrayView<float> x, int n)
                {
                    Span<float> acc = stackalloc float[4];
                    for (int i = 0; i < n; i++)
                        for (int j = 0; j < 4; j++) acc[j] += i * (j + 1);
                    x[Grid.GlobalIndexX] = acc[0] + acc[1] + acc[2] + acc[3];
                }
            }
            """);
        Assert.Single(IrWalker.Statements(k.Body).OfType<IrLoop>());
        float sumOfI = 5 * 4 / 2;
        Assert.All(RunOnCpu(k, 5), v => Assert.Equal(sumOfI * (1 + 2 + 3 + 4), v));
    }
}
