using RectifiedSpaAttn.Generators.Ir;
using static RectifiedSpaAttn.Generators.Tests.Ptx.PtxTestSupport;

namespace RectifiedSpaAttn.Generators.Tests.Ptx;

/// <summary>Entry shape, parameters, bounds-checked elementwise code, conditionals and structured control flow.</summary>
public class PtxControlFlowTests(ITestOutputHelper output)
{
    /// <summary>y[i] = a * x[i] + y[i] when i &lt; y.Length.</summary>
    internal static IrKernel ElementwiseWithBoundsCheckKernel()
    {
        var k = new IrBuilder();
        IrParam x = k.Buffer("x", IrType.F32), y = k.Buffer("y", IrType.F32), a = k.Scalar("a", IrType.F32);
        IrLocal i = k.Local("i", IrType.I32);
        IrView xv = X.View(x), yv = X.View(y);
        k.Assign(i, X.GlobalX);
        k.If(X.Lt(X.Wide(X.Ref(i)), X.Len(yv)), () =>
            k.Store(yv, X.Wide(X.Ref(i)), X.Add(X.Mul(X.Arg(a), X.Load(xv, X.Wide(X.Ref(i)))), X.Load(yv, X.Wide(X.Ref(i))))));
        return k.Build("saxpy");
    }

    [Fact]
    public void ElementwiseWithBoundsCheck()
    {
        string ptx = Compile(ElementwiseWithBoundsCheckKernel(), output);

        Assert.Contains(".version 7.8", ptx);
        Assert.Contains(".target sm_80", ptx);
        Assert.Contains(".address_size 64", ptx);
        Assert.Contains(".visible .entry saxpy(\n\t.param .u64 x_ptr,\n\t.param .u64 x_len,\n\t.param .u64 y_ptr,\n\t.param .u64 y_len,\n\t.param .f32 a)", ptx);
        AssertInstruction(ptx, $@"cvta\.to\.global\.u64 {RD}, {RD}");
        AssertInstruction(ptx, $@"ld\.param\.u64 {RD}, \[y_len\]");
        AssertInstruction(ptx, $@"setp\.lt\.s64 {P}, {RD}, {RD}");
        // The (long)i widening folds into the address arithmetic.
        AssertInstruction(ptx, $@"mad\.wide\.s32 {RD}, {R}, 4, {RD}");
        AssertInstruction(ptx, $@"ld\.global\.f32 {F}, \[{RD}\]");
        AssertInstruction(ptx, $@"st\.global\.f32 \[{RD}\], {F}");
        // One generic-to-global conversion per buffer, however many accesses.
        Assert.Equal(2, Instructions(ptx).Count(l => l.StartsWith("cvta.to.global.u64", StringComparison.Ordinal)));
    }

    /// <summary>Every scalar type's .param width per the contract, and their values reaching memory.</summary>
    internal static IrKernel ScalarParametersFollowTheContractKernel()
    {
        var k = new IrBuilder();
        IrParam o = k.Buffer("out", IrType.U64);
        IrType[] types = [IrType.I32, IrType.U32, IrType.I64, IrType.U64, IrType.F32, IrType.F64, IrType.Bool, IrType.U8, IrType.U16, IrType.F16, IrType.BF16];
        IrParam[] ps = types.Select(t => k.Scalar("s_" + t, t)).ToArray();
        IrView ov = X.View(o);
        for (int n = 0; n < ps.Length; n++)
        {
            IrExpr v = X.Arg(ps[n]);
            IrExpr asU64 = ps[n].Type switch
            {
                IrType.F32 => X.Conv(IrType.U64, X.Bitcast(IrType.U32, v)),
                IrType.F64 => X.Bitcast(IrType.U64, v),
                IrType.F16 or IrType.BF16 => X.Conv(IrType.U64, X.Bitcast(IrType.U32, X.Conv(IrType.F32, v))),
                _ => X.Conv(IrType.U64, v),
            };
            k.Store(ov, X.I64(n), asU64);
        }
        return k.Build("scalars");
    }

    [Fact]
    public void ScalarParametersFollowTheContract()
    {
        string ptx = Compile(ScalarParametersFollowTheContractKernel(), output);

        Assert.Contains(".param .s32 s_I32,", ptx);
        Assert.Contains(".param .u32 s_U32,", ptx);
        Assert.Contains(".param .s64 s_I64,", ptx);
        Assert.Contains(".param .u64 s_U64,", ptx);
        Assert.Contains(".param .f32 s_F32,", ptx);
        Assert.Contains(".param .f64 s_F64,", ptx);
        Assert.Contains(".param .u32 s_Bool,", ptx);
        Assert.Contains(".param .u8 s_U8,", ptx);
        Assert.Contains(".param .u16 s_U16,", ptx);
        Assert.Contains(".param .b16 s_F16,", ptx);
        Assert.Contains(".param .b16 s_BF16)", ptx);
        AssertInstruction(ptx, $@"setp\.ne\.u32 {P}, {R}, 0"); // bool is any non-zero word
        AssertInstruction(ptx, $@"st\.global\.u64 \[{RD}\+80\], {RD}"); // constant index folded into the address
    }

    /// <summary><c>i &lt; n ? x[i] : 0</c> must not load when the condition is false; a load-free one is a select.</summary>
    internal static IrKernel ConditionalWithALoadOnOneSideBranchesKernel()
    {
        var k = new IrBuilder();
        IrParam x = k.Buffer("x", IrType.F32), o = k.Buffer("out", IrType.F32), n = k.Scalar("n", IrType.I32);
        IrLocal i = k.Local("i", IrType.I32), v = k.Local("v", IrType.F32), w = k.Local("w", IrType.F32), both = k.Local("both", IrType.Bool);
        IrView xv = X.View(x), ov = X.View(o);
        k.Assign(i, X.GlobalX);
        k.Assign(v, X.Cond(X.Lt(X.Ref(i), X.Arg(n)), X.Load(xv, X.Wide(X.Ref(i))), X.F32(0)));
        k.Assign(w, X.Cond(X.Gt(X.Ref(v), X.F32(1)), X.Ref(v), X.F32(-1)));
        k.Assign(both, X.Cond(X.Gt(X.Ref(v), X.F32(0)), X.Lt(X.Ref(i), X.I32(7)), X.Bool(false))); // v > 0 && i < 7
        k.If(X.Ref(both), () => k.Store(ov, X.Wide(X.Ref(i)), X.Ref(w)));
        return k.Build("guarded_load");
    }

    [Fact]
    public void ConditionalWithALoadOnOneSideBranches()
    {
        string ptx = Compile(ConditionalWithALoadOnOneSideBranchesKernel(), output);

        int branch = IndexOf(ptx, $@"@!{P} bra \$L_\d+_endsel");
        int load = IndexOf(ptx, $@"ld\.global\.f32 {F}, \[{RD}\]");
        Assert.True(branch >= 0 && load > branch, "The guarded load must come after the branch that skips it.");
        AssertInstruction(ptx, $@"selp\.f32 {F}, {F}, 0fBF800000, {P}");
        AssertInstruction(ptx, $@"and\.pred {P}, {P}, {P}");
    }

    /// <summary>for (j = 0; j &lt; 100; j++) { if (j % 3 == 1) continue; if (acc &gt; limit) break; acc += j; } with an early return.</summary>
    internal static IrKernel BreakContinueAndReturnKernel()
    {
        var k = new IrBuilder();
        IrParam o = k.Buffer("out", IrType.I32), n = k.Scalar("n", IrType.I32), limit = k.Scalar("limit", IrType.I32);
        IrLocal i = k.Local("i", IrType.I32), j = k.Local("j", IrType.I32), acc = k.Local("acc", IrType.I32);
        IrView ov = X.View(o);
        k.Assign(i, X.GlobalX);
        k.If(X.Ge(X.Ref(i), X.Arg(n)), () => k.Add(IrReturn.Instance));
        k.Assign(acc, X.I32(0));
        k.For(j, X.I32(0), X.I32(100), 1, () =>
        {
            k.If(X.Eq(X.Rem(X.Ref(j), X.I32(3)), X.I32(1)), () => k.Add(IrContinue.Instance));
            k.If(X.Gt(X.Ref(acc), X.Arg(limit)), () => k.Add(IrBreak.Instance));
            k.Assign(acc, X.Add(X.Ref(acc), X.Ref(j)));
        });
        // while (true) { acc >>= 1; if (acc < 10) break; }
        k.Loop(null, () =>
        {
            k.Assign(acc, X.Shr(X.Ref(acc), X.I32(1)));
            k.If(X.Lt(X.Ref(acc), X.I32(10)), () => k.Add(IrBreak.Instance));
        });
        k.Store(ov, X.Wide(X.Ref(i)), X.Ref(acc));
        return k.Build("loops");
    }

    [Fact]
    public void BreakContinueAndReturn()
    {
        string ptx = Compile(BreakContinueAndReturnKernel(), output);

        string[] ins = Instructions(ptx);
        Assert.True(ins.Count(l => l == "ret") >= 2, "The early return and the end of the kernel both return.");
        AssertInstruction(ptx, @"bra \$L_\d+_step");
        AssertInstruction(ptx, @"bra \$L_\d+_endloop");
        AssertInstruction(ptx, $@"rem\.s32 {R}, {R}, 3");
        AssertInstruction(ptx, $@"shr\.s32 {R}, {R}, 1"); // arithmetic shift for int
        AssertInstruction(ptx, $@"@{P} bra \$L_\d+_loop"); // rotated loop: tested at the bottom
        AssertInstruction(ptx, @"bra \$L_\d+_loop"); // the endless loop jumps back unconditionally
    }

    internal static IrKernel SpecialRegistersKernel()
    {
        var k = new IrBuilder();
        IrParam o = k.Buffer("out", IrType.I32);
        IrView ov = X.View(o);
        IrSpecialKind[] kinds = Enum.GetValues<IrSpecialKind>();
        for (int n = 0; n < kinds.Length; n++)
            k.Store(ov, X.Add(X.Mul(X.Wide(X.S(IrSpecialKind.GroupLinearIdx)), X.I64(kinds.Length)), X.I64(n)), X.S(kinds[n]));
        return k.Build("specials");
    }

    [Fact]
    public void SpecialRegisters()
    {
        string ptx = Compile(SpecialRegistersKernel(), output);

        foreach (string sr in new[] { "%ctaid.x", "%ctaid.y", "%ctaid.z", "%nctaid.x", "%nctaid.y", "%nctaid.z", "%tid.x", "%tid.y", "%tid.z", "%ntid.x", "%ntid.y", "%ntid.z", "%laneid" })
            AssertInstruction(ptx, $@"mov\.u32 {R}, {System.Text.RegularExpressions.Regex.Escape(sr)}");
        AssertInstruction(ptx, $@"shr\.u32 {R}, {R}, 5"); // warp index from the linear index
        Assert.Single(Instructions(ptx), l => l.EndsWith("%tid.x", StringComparison.Ordinal)); // read once, in the prologue
    }
}
