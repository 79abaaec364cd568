using RectifiedSpaAttn.Compute;
using RectifiedSpaAttn.Compute.Cpu;
using RectifiedSpaAttn.Generators.Ir;

namespace RectifiedSpaAttn.Generators.Tests.Cpu;

/// <summary>
/// Structured control flow: loops with steps, break, continue (to the step), endless loops, returns inside loops,
/// code C# would consider unreachable, and constant conditions. Every kernel is compiled with warnings as errors,
/// so these also check that the output is warning-free. Each runs in both forms (with and without a barrier).
/// </summary>
public sealed class CpuControlFlowTests
{
    private const int Length = 20, Threads = 64;

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void BreakContinueAndReturnFollowTheIrSemantics(bool withBarrier)
    {
        var b = new IrBuilder();
        IrParam data = b.Buffer("data", IrType.I32), o = b.Buffer("o", IrType.I32);
        IrParamRef limit = X.Arg(b.Scalar("limit", IrType.I32));
        IrView d = X.View(data), ov = X.View(o);
        IrLocal i = b.Let("i", X.GlobalX);
        IrExpr Out(int k) => X.Add(X.Mul(X.Ref(i), X.I32(5)), X.I32(k));
        if (withBarrier) b.Barrier();

        // for (j = 0; j < L; j++) { v = data[i*L + j]; if (v < 0) continue; if (sum > limit) break; sum += v; count++; }
        IrLocal sum = b.Let("sum", X.I32(0)), count = b.Let("count", X.I32(0));
        b.For("j", X.I32(0), X.I32(Length), X.I32(1), j =>
        {
            IrLocal v = b.Let("v", X.Load(d, X.Add(X.Mul(X.Ref(i), X.I32(Length)), X.Ref(j))));
            b.If(X.Lt(X.Ref(v), X.I32(0)), b.Continue);
            b.If(X.Gt(X.Ref(sum), limit), b.Break);
            b.Assign(sum, X.Add(X.Ref(sum), X.Ref(v)));
            b.Assign(count, X.Add(X.Ref(count), X.I32(1)));
        });
        b.Store(ov, Out(0), X.Ref(sum));
        b.Store(ov, Out(1), X.Ref(count));

        // while (true) { k++; if (k % 3 == 0) continue; if (k > 10 + i % 4) break; acc += k; }  (no step: plain continue)
        IrLocal k = b.Let("k", X.I32(0)), acc = b.Let("acc", X.I32(0));
        b.Loop(null, () =>
        {
            b.Assign(k, X.Add(X.Ref(k), X.I32(1)));
            b.If(X.Eq(X.Rem(X.Ref(k), X.I32(3)), X.I32(0)), b.Continue);
            b.If(X.Gt(X.Ref(k), X.Add(X.I32(10), X.Rem(X.Ref(i), X.I32(4)))), b.Break);
            b.Assign(acc, X.Add(X.Ref(acc), X.Ref(k)));
        });
        b.Store(ov, Out(2), X.Ref(acc));

        // Nested loops: break leaves only the inner one; continue in the outer loop skips to its step.
        IrLocal pairs = b.Let("pairs", X.I32(0));
        b.For("p", X.I32(0), X.I32(6), X.I32(1), p =>
        {
            b.If(X.Eq(X.Ref(p), X.I32(2)), b.Continue);
            b.For("q", X.I32(0), X.I32(6), X.I32(1), q =>
            {
                b.If(X.Gt(X.Ref(q), X.Ref(p)), b.Break);
                b.Assign(pairs, X.Add(X.Ref(pairs), X.I32(1)));
            });
        });
        b.Store(ov, Out(3), X.Ref(pairs));
        if (withBarrier) b.Barrier();

        // Endless loop left by return: the first index whose value is >= 90, or -1; code after it is unreachable.
        IrLocal at = b.Let("at", X.I32(0));
        b.Loop(null, () =>
        {
            b.If(X.Ge(X.Ref(at), X.I32(Length)), () =>
            {
                b.Store(ov, Out(4), X.I32(-1));
                b.Return();
                b.Store(ov, Out(4), X.I32(12345)); // Dead code after return.
            });
            b.If(X.Ge(X.Load(d, X.Add(X.Mul(X.Ref(i), X.I32(Length)), X.Ref(at))), X.I32(90)), () =>
            {
                b.Store(ov, Out(4), X.Ref(at));
                b.Return();
            });
            b.Assign(at, X.Add(X.Ref(at), X.I32(1)));
        });
        b.Store(ov, Out(4), X.I32(777)); // Unreachable: after an endless loop without break.
        KernelVariant kernel = CpuKernelCompiler.Compile(b.Build(withBarrier ? "control_flow_sync" : "control_flow"));

        int[] input = TestData.Ints(Threads * Length, seed: 6, -30, 100);
        const int limitValue = 250;
        using var cpu = new CpuAccelerator();
        using DeviceBuffer<int> inputs = cpu.Allocate<int>(input.Length), output = cpu.Allocate<int>(Threads * 5);
        inputs.CopyFrom(input);
        output.Fill(unchecked((int)0xDEADBEEF));
        cpu.Launch(kernel, new LaunchDimensions(2, Threads / 2),
            [KernelArgument.Buffer(inputs.View, ScalarType.Int32), KernelArgument.Buffer(output.View, ScalarType.Int32), KernelArgument.From(limitValue)]);

        int[] result = output.ToArray();
        for (int t = 0; t < Threads; t++)
        {
            int s = 0, c = 0;
            for (int j = 0; j < Length; j++)
            {
                int v = input[t * Length + j];
                if (v < 0) continue;
                if (s > limitValue) break;
                s += v;
                c++;
            }
            int kk = 0, a = 0;
            while (true)
            {
                kk++;
                if (kk % 3 == 0) continue;
                if (kk > 10 + t % 4) break;
                a += kk;
            }
            int pr = 0;
            for (int p = 0; p < 6; p++)
            {
                if (p == 2) continue;
                for (int q = 0; q < 6; q++)
                {
                    if (q > p) break;
                    pr++;
                }
            }
            int first = Array.FindIndex(input, t * Length, Length, v => v >= 90);
            Assert.Equal([s, c, a, pr, first < 0 ? -1 : first - t * Length], result.AsSpan(t * 5, 5).ToArray());
        }
    }

    [Fact]
    public void ConstantConditionsAndDeadDivisionsCompileCleanlyAndRunTheLiveBranch()
    {
        var b = new IrBuilder();
        IrParam o = b.Buffer("o", IrType.I32);
        IrView ov = X.View(o);
        IrLocal r = b.Let("r", X.I32(0));
        b.If(X.Bool(true), () => b.Assign(r, X.I32(5)), () => b.Assign(r, X.I32(6)));
        b.Loop(X.Bool(false), () => b.Assign(r, X.I32(100)));
        // Foldable by C# but not an IR constant: must not make C# report unreachable code.
        b.If(X.Lt(X.I32(1), X.I32(2)), () => b.Assign(r, X.Add(X.Ref(r), X.I32(10))), () => b.Assign(r, X.I32(-1)));
        b.Loop(X.Lt(X.I32(2), X.I32(1)), () => b.Assign(r, X.I32(-2)));
        // A division by a constant zero in a branch never taken (C# rejects it unless hidden).
        b.If(X.Lt(X.Tid, X.I32(0)), () => b.Assign(r, X.Div(X.Tid, X.I32(0))));
        // NaN test (x != x) and a local assigned but never read (its write is dropped).
        IrLocal nan = b.Let("nan", X.F32(float.NaN));
        IrLocal unused = b.Let("unused", X.I32(42));
        b.Assign(unused, X.Add(X.Ref(r), X.I32(1)));
        b.If(X.Ne(X.Ref(nan), X.Ref(nan)), () => b.Assign(r, X.Add(X.Ref(r), X.I32(100))));
        b.Store(ov, X.Tid, X.Ref(r));
        KernelVariant kernel = CpuKernelCompiler.Compile(b.Build("constant_conditions"), out string source);
        Assert.DoesNotContain("v_unused", source);

        using var cpu = new CpuAccelerator();
        using DeviceBuffer<int> output = cpu.Allocate<int>(32);
        output.Fill(0);
        cpu.Launch(kernel, new LaunchDimensions(1, 32), [KernelArgument.Buffer(output.View, ScalarType.Int32)]);
        Assert.All(output.ToArray(), v => Assert.Equal(115, v));
    }

    [Fact]
    public void AnOutOfBoundsAccessIsReportedInsteadOfCorruptingTheHost()
    {
        var b = new IrBuilder();
        IrParam o = b.Buffer("out", IrType.F32);
        b.Store(X.View(o), X.Add(X.GlobalX, X.I32(1)), X.F32(1)); // One past the end for the last thread.
        KernelVariant kernel = CpuKernelCompiler.Compile(b.Build("off_by_one"));

        using var cpu = new CpuAccelerator();
        using DeviceBuffer<float> output = cpu.Allocate<float>(64);
        var error = Assert.Throws<AggregateException>(() =>
            cpu.Launch(kernel, new LaunchDimensions(2, 32), [KernelArgument.Buffer(output.View, ScalarType.Float32)]));
        var cause = Assert.IsType<IndexOutOfRangeException>(Assert.Single(error.InnerExceptions));
        Assert.Contains("'out'", cause.Message);
        Assert.Contains("byte 256", cause.Message);
    }
}
