using RectifiedSpaAttn.Compute;
using RectifiedSpaAttn.Compute.Cpu;
using RectifiedSpaAttn.Generators.Ir;
using RectifiedSpaAttn.Generators.Tests.Cpu;

namespace RectifiedSpaAttn.Generators.Tests.Frontend;

/// <summary>
/// The frontend folds <c>t = e; y = t</c> (a temporary made only to be copied) into <c>y = e</c>, and keeps copies
/// that carry meaning: a value saved before its variable changes.
/// </summary>
public class CopyFoldingTests(ITestOutputHelper output)
{
    private IrKernel LowerOne(string source)
    {
        IrKernel k = GeneratorHarness.Lower(source, "Run").Single();
        output.WriteLine(IrPrinter.Print(k));
        return k;
    }

    private static IEnumerable<IrAssign> Copies(IrKernel k) =>
        IrWalker.Statements(k.Body).OfType<IrAssign>().Where(a => a.Value is IrLocalRef);

    private static float[] RunOnCpu(IrKernel kernel, float[] input)
    {
        using var cpu = new CpuAccelerator();
        using DeviceBuffer<float> x = cpu.Allocate<float>(input.Length);
        x.CopyFrom(input);
        cpu.Launch(CpuKernelCompiler.Compile(kernel), new LaunchDimensions(1, 1), [KernelArgument.Buffer(x.View, ScalarType.Float32)]);
        return x.ToArray();
    }

    [Fact]
    public void AnArgumentOfAHelperThatReassignsItsParameterIsCopiedOnce()
    {
        IrKernel k = LowerOne("""
            static partial class K
            {
                static float Twice(float v, float w)
                {
                    v = v * 2;
                    w = w + v;
                    return w;
                }

                [Kernel]
                static void Run(ArrayView<float> x) { x[2] = Twice(x[0], x[1]); }
            }
            """);
        // Each argument goes straight into its parameter's register (no "t = x[0]; v = t"): v, w and the result remain.
        Assert.DoesNotContain(k.Locals, l => l.Name == "t");
        Assert.Equal(new[] { "v", "w", "Twice" }, k.Locals.Select(l => l.Name));
        Assert.DoesNotContain(Copies(k), c => c.Target.Name is "v" or "w");
        Assert.Equal(new[] { 3f, 4f, 10f }, RunOnCpu(k, [3f, 4f, 0f]));
    }

    [Fact]
    public void ACopyThatSavesAValueBeforeItChangesStays()
    {
        IrKernel k = LowerOne("""
            static partial class K
            {
                [Kernel]
                static void Run(ArrayView<float> x)
                {
                    float a = x[0];
                    float b = a;
                    a = 5;
                    x[1] = b + a;
                }
            }
            """);
        Assert.Single(Copies(k));
        Assert.Equal(new[] { 3f, 8f }, RunOnCpu(k, [3f, 0f]));
    }

    [Fact]
    public void AViewIndexIsCopiedOnlyWhenTheRightHandSideCouldChangeIt()
    {
        IrKernel k = LowerOne("""
            static partial class K
            {
                [Kernel]
                static void Run(ArrayView<float> x)
                {
                    int i = 1;
                    x[i] = x[i] * 2f;      // no side effects: x[i] stores straight through i
                    x[i] += 1f;
                    x[i] = i++;            // the index is the old i
                    x[i] = x[0];
                }
            }
            """);
        // Copies of i only for the assignment whose right-hand side increments it: the index, and i++'s old value.
        Assert.Equal(2, Copies(k).Count());
        Assert.All(IrWalker.Statements(k.Body).OfType<IrStore>().Where(st => st.Value is not IrConvert), st => Assert.Equal("i", ((IrLocalRef)st.Index).Local.Name));
        Assert.Equal(new[] { 0f, 1f, 0f }, RunOnCpu(k, [0f, 3f, 5f]));
    }
}
