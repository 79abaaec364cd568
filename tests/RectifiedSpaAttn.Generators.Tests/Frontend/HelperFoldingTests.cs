using RectifiedSpaAttn.Generators.Backends.Ptx;
using RectifiedSpaAttn.Generators.Ir;
using RectifiedSpaAttn.Generators.Tests.Ptx;

namespace RectifiedSpaAttn.Generators.Tests.Frontend;

/// <summary>
/// Constant propagation through inlining: a helper called with constants (specialisation values, literals) returns a
/// constant, which folds in the caller like a constant written out, so branches on it disappear and loops bounded by
/// it unroll. Helpers can then carry shared logic at no cost.
/// </summary>
public class HelperFoldingTests(ITestOutputHelper output)
{
    private const string Helpers = """
            static int Tiles(int rows)
            {
                if (rows == 32) return 2;
                return 1;
            }
            static float Scale(int rows, float half) => rows * half;
            static bool Wide(int tiles) => tiles > 1;
        """;

    [Fact]
    public void AHelpersConstantResultBoundsRegisterArrayLoopsAndDecidesBranches()
    {
        // Without folding, Tiles(rows) would be a register: the loops could not unroll, and indexing acc by their
        // counter would be RSA0007.
        List<IrKernel> variants = GeneratorHarness.Lower("""
            static partial class K
            {
                [Kernel]
                [Specialize("rows", 16, 32)]
                static void Run(ArrayView<float> x, [Constant] int rows)
                {
                    int tiles = Tiles(rows);
                    Span<float> acc = stackalloc float[2];
                    for (int t = 0; t < tiles; t++) acc[t] = x[t];
                    float sum = 0f;
                    for (int t = 0; t < tiles; t++) sum += acc[t];
                    if (Wide(tiles)) sum *= Scale(rows, 0.5f);
                    x[0] = sum;
                }
            """ + Helpers + "}", "Run");
        for (int v = 0; v < variants.Count; v++)
        {
            IrKernel k = variants[v];
            output.WriteLine(IrPrinter.Print(k));
            var statements = IrWalker.Statements(k.Body).ToList();
            Assert.DoesNotContain(statements, s => s is IrIf or IrLoop);
            int loads = statements.SelectMany(IrWalker.DirectExpressions).SelectMany(IrWalker.Expressions).OfType<IrLoad>().Count();
            Assert.Equal(v == 0 ? 1 : 2, loads); // rows 16: one tile; rows 32: two
        }
    }

    [Fact]
    public void HelpersWithConstantArgumentsEmitTheSamePtxAsTheConstantsWrittenOut()
    {
        List<IrKernel> withHelpers = GeneratorHarness.Lower("""
            static partial class K
            {
                [Kernel]
                [Specialize("rows", 16, 32)]
                static void Run(ArrayView<float> x, [Constant] int rows)
                {
                    int i = Grid.GlobalIndexX;
                    int tiles = Tiles(rows);
                    float scale = Scale(rows, 0.5f);
                    if (Wide(tiles)) x[i] = x[i] * scale + tiles;
                    else x[i] = x[i] - scale;
                }
            """ + Helpers + "}", "Run");
        List<IrKernel> writtenOut = GeneratorHarness.Lower("""
            static partial class K
            {
                [Kernel]
                [Specialize("rows", 16, 32)]
                static void Run(ArrayView<float> x, [Constant] int rows)
                {
                    int i = Grid.GlobalIndexX;
                    if (rows == 32) x[i] = x[i] * 16f + 2f;
                    else x[i] = x[i] - 8f;
                }
            }
            """, "Run");
        for (int v = 0; v < 2; v++)
        {
            string helped = PtxBackend.Emit(withHelpers[v]), written = PtxBackend.Emit(writtenOut[v]);
            output.WriteLine(helped);
            Assert.Equal(PtxTestSupport.Instructions(written), PtxTestSupport.Instructions(helped));
            PtxTestSupport.AssertNoInstruction(helped, @"(@%p\d+ )?bra.*");
            PtxTestSupport.AssertNoInstruction(helped, @"setp\..*");
        }
    }

    [Fact]
    public void AHelperWithAReturnInANonConstantBranchStillReturnsTheRightValueThroughARegister()
    {
        IrKernel k = GeneratorHarness.Lower("""
            static partial class K
            {
                [Kernel]
                static void Run(ArrayView<float> x)
                {
                    int i = Grid.GlobalIndexX;
                    x[i] = Tiles(i);
                }
            """ + Helpers + "}", "Run").Single();
        output.WriteLine(IrPrinter.Print(k));
        IrIf branch = Assert.Single(IrWalker.Statements(k.Body).OfType<IrIf>());
        // Both branches write the same register, which the store then reads.
        IrLocal then = Assert.IsType<IrAssign>(Assert.Single(branch.Then.Statements)).Target;
        IrLocal @else = Assert.IsType<IrAssign>(Assert.Single(branch.Else.Statements)).Target;
        Assert.Same(then, @else);
    }
}
