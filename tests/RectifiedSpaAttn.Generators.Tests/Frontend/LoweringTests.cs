using RectifiedSpaAttn.Generators.Ir;

namespace RectifiedSpaAttn.Generators.Tests.Frontend;

/// <summary>What the frontend makes of C#: folding, unrolling, scalarisation and inlining, checked on the IR itself.</summary>
public class LoweringTests(ITestOutputHelper output)
{
    private IrKernel LowerOne(string source, string method, int variant = 0)
    {
        IrKernel k = GeneratorHarness.Lower(source, method)[variant];
        output.WriteLine(IrPrinter.Print(k));
        return k;
    }

    private static IEnumerable<IrStmt> All(IrKernel k) => IrWalker.Statements(k.Body);

    [Fact]
    public void RegisterArrayLoopsAreUnrolledIntoScalarRegisters()
    {
        IrKernel k = LowerOne("""
            static partial class K
            {
                [Kernel]
                static void Run(ArrayView<float> x)
                {
                    Span<float> acc = stackalloc float[4];
                    for (int i = 0; i < 4; i++) acc[i] = x[i] * 2;
                    float s = 0;
                    for (int i = 0; i < acc.Length; i++) s += acc[i];
                    x[0] = s;
                }
            }
            """, "Run");
        Assert.DoesNotContain(All(k), s => s is IrLoop);
        // Four loads, each with a constant index.
        var loads = All(k).OfType<IrAssign>().SelectMany(a => IrWalker.Expressions(a.Value)).OfType<IrLoad>().ToList();
        Assert.Equal(new long[] { 0, 1, 2, 3 }, loads.Select(l => ((IrConst)l.Index).Bits));
    }

    [Fact]
    public void BitwiseAndShiftIdentitiesFoldAway()
    {
        // A swizzle (i ^ j << 4) unrolled with j = 0, and | 0 / >> 0 from constants, leave plain i.
        IrKernel k = LowerOne("""
            static partial class K
            {
                [Kernel]
                static void Run(ArrayView<float> x)
                {
                    int i = Group.IdxX;
                    for (int j = 0; j < 1; j++)
                    {
                        KernelHint.Unroll();
                        x[i ^ (j << 4)] = 1f;
                        x[(i | j) >> j] = 2f;
                        x[(j ^ i) << j] = 3f;
                    }
                }
            }
            """, "Run");
        var ops = IrWalker.Statements(k.Body).SelectMany(IrWalker.DirectExpressions).SelectMany(IrWalker.Expressions)
            .OfType<IrBinary>().Select(b => b.Op).ToList();
        Assert.DoesNotContain(IrBinaryOp.Xor, ops);
        Assert.DoesNotContain(IrBinaryOp.Or, ops);
        Assert.DoesNotContain(IrBinaryOp.Shl, ops);
        Assert.DoesNotContain(IrBinaryOp.Shr, ops);
    }

    [Fact]
    public void SpecialisationConstantsFoldBranchesAway()
    {
        List<IrKernel> variants = GeneratorHarness.Lower("""
            static partial class K
            {
                [Kernel]
                [Specialize("wide", false, true)]
                static void Run(ArrayView<float> x, [Constant] bool wide)
                {
                    if (wide) x[0] = 2; else x[1] = 1;
                }
            }
            """, "Run");
        Assert.Equal(2, variants.Count);
        foreach (IrKernel k in variants)
        {
            output.WriteLine(IrPrinter.Print(k));
            Assert.DoesNotContain(All(k), s => s is IrIf);
            Assert.Single(All(k).OfType<IrStore>());
        }
        Assert.Equal(1L, ((IrConst)All(variants[0]).OfType<IrStore>().Single().Index).Bits);
        Assert.Equal(0L, ((IrConst)All(variants[1]).OfType<IrStore>().Single().Index).Bits);
    }

    [Fact]
    public void HelpersWithEarlyReturnsAreInlinedAsBranches()
    {
        IrKernel k = LowerOne("""
            static partial class K
            {
                static float Clamp01(float v)
                {
                    if (v < 0) return 0;
                    if (v > 1) return 1;
                    return v;
                }

                [Kernel]
                static void Run(ArrayView<float> x)
                {
                    int i = Grid.GlobalIndexX;
                    x[i] = Clamp01(x[i]);
                }
            }
            """, "Run");
        Assert.Equal(2, All(k).OfType<IrIf>().Count());
        Assert.DoesNotContain(All(k), s => s is IrReturn);
    }

    [Fact]
    public void TensorCoreStructsBecomeScalarOperands()
    {
        IrKernel k = LowerOne("""
            static partial class K
            {
                [Kernel]
                static void Run(ArrayView<float> c, ArrayView<ushort> a)
                {
                    var tile = SharedMemory.Allocate<ushort>(256);
                    UInt4 fa = TensorCore.LoadMatrixX4(tile, Warp.LaneIdx * 8);
                    (uint b0, uint b1) = TensorCore.LoadMatrixX2Transposed(tile, (Warp.LaneIdx % 16) * 8);
                    var acc = new MmaAccumulator(0, 0, 0, 0);
                    acc = TensorCore.MmaBFloat16(new MmaFragmentA(fa.X, fa.Y, fa.Z, fa.W), new MmaFragmentB(b0, b1), acc);
                    c[Warp.LaneIdx * 4] = acc.C0;
                    c[Warp.LaneIdx * 4 + 3] = acc.C3;
                }
            }
            """, "Run");
        IrMma mma = All(k).OfType<IrMma>().Single();
        Assert.Equal(4, mma.A.Count);
        Assert.Equal(2, mma.B.Count);
        Assert.All(mma.C, c => Assert.IsType<IrLocalRef>(c));
        Assert.Single(All(k).OfType<IrLoadMatrix>(), l => l.Targets.Count == 4 && !l.Transposed);
        Assert.Single(All(k).OfType<IrLoadMatrix>(), l => l.Targets.Count == 2 && l.Transposed);
        Assert.Single(k.SharedAllocations);
    }

    [Fact]
    public void WarpSumIsAFiveStepButterfly()
    {
        IrKernel k = LowerOne("""
            static partial class K
            {
                [Kernel]
                static void Run(ArrayView<float> x) { x[Grid.GlobalIndexX] = Warp.Sum(x[Grid.GlobalIndexX]); }
            }
            """, "Run");
        var shuffles = All(k).OfType<IrShuffle>().ToList();
        Assert.Equal(new long[] { 16, 8, 4, 2, 1 }, shuffles.Select(s => ((IrConst)s.Lane).Bits));
        Assert.All(shuffles, s => Assert.Equal(IrShuffleKind.Xor, s.Kind));
    }

    [Fact]
    public void ShortCircuitGuardsTheLoad()
    {
        IrKernel k = LowerOne("""
            static partial class K
            {
                [Kernel]
                static void Run(ArrayView<float> x, int n)
                {
                    int i = Grid.GlobalIndexX;
                    if (i < n && x[i] > 0) x[i] = 0;
                }
            }
            """, "Run");
        IrIf branch = All(k).OfType<IrIf>().Single();
        var conditional = Assert.IsType<IrConditional>(branch.Condition);
        Assert.IsType<IrCompare>(conditional.Condition);
        Assert.Contains(IrWalker.Expressions(conditional.WhenTrue), e => e is IrLoad);
    }
}
