using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using RectifiedSpaAttn.Generators.Pipeline;

namespace RectifiedSpaAttn.Generators.Tests.Frontend;

/// <summary>
/// What the generator re-runs after an edit, read from Roslyn's step tracking: the backends run again only for a
/// kernel whose lowered form changed, and the incremental result equals a run from scratch.
/// </summary>
public class IncrementalGeneratorTests
{
    // Two kernels in one file (so an edit of the first moves the second) and one in another file, using a helper.
    private const string First = """
        static partial class Pointwise
        {
            [Kernel]
            [Specialize("T", typeof(float), typeof(BFloat16))]
            static void Scale<T>(ArrayView<T> x, float a) where T : unmanaged
            {
                int i = Grid.GlobalIndexX;
                if (i < x.Length) x[i] = Element.FromFloat<T>(Element.ToFloat(x[i]) * a);
            }

            [Kernel]
            static void Offset(ArrayView<float> x, float b)
            {
                int i = Grid.GlobalIndexX;
                if (i < x.Length) x[i] = x[i] + b;
            }
        }
        """;

    private const string Second = """
        static class Helpers
        {
            public static float Square(float v) => v * v;
        }

        static partial class Squares
        {
            [Kernel]
            static void Square(ArrayView<float> x)
            {
                int i = Grid.GlobalIndexX;
                if (i < x.Length) x[i] = Helpers.Square(x[i]);
            }
        }
        """;

    private static readonly CSharpParseOptions ParseOptions = new(LanguageVersion.Latest);

    private static SyntaxTree Tree(string source, string path) => CSharpSyntaxTree.ParseText(GeneratorHarness.Usings + source, ParseOptions, path: path);

    private static Compilation Initial() => GeneratorHarness.Compilation(First)
        .RemoveAllSyntaxTrees()
        .AddSyntaxTrees(Tree(First, "First.cs"), Tree(Second, "Second.cs"));

    private static GeneratorDriver Driver() => CSharpGeneratorDriver.Create(
        new[] { new KernelGenerator().AsSourceGenerator() }, parseOptions: ParseOptions,
        driverOptions: new GeneratorDriverOptions(IncrementalGeneratorOutputKind.None, trackIncrementalGeneratorSteps: true));

    private static Compilation Replace(Compilation compilation, string path, string newSource)
    {
        SyntaxTree old = compilation.SyntaxTrees.Single(t => t.FilePath == path);
        return compilation.ReplaceSyntaxTree(old, Tree(newSource, path));
    }

    /// <summary>Runs the generator on <paramref name="before"/>, then incrementally on <paramref name="after"/>.</summary>
    private static GeneratorDriver RunTwice(Compilation before, Compilation after)
    {
        GeneratorDriver driver = Driver().RunGenerators(before);
        Assert.Empty(driver.GetRunResult().Diagnostics);
        return driver.RunGenerators(after);
    }

    /// <summary>The reason each kernel's output of <paramref name="step"/> has in the last run, by kernel name.</summary>
    private static Dictionary<string, IncrementalStepRunReason> Reasons(GeneratorDriver driver, string step, Func<object, string> kernelOf)
    {
        GeneratorRunResult result = driver.GetRunResult().Results.Single();
        return result.TrackedSteps[step]
            .SelectMany(s => s.Outputs)
            .ToDictionary(o => kernelOf(o.Value), o => o.Reason);
    }

    private static Dictionary<string, IncrementalStepRunReason> BackendReasons(GeneratorDriver driver) =>
        Reasons(driver, TrackingNames.Backends, v => ((KernelBuild)v).Declaration.KernelName);

    private static readonly IncrementalStepRunReason[] NotRerun = [IncrementalStepRunReason.Cached, IncrementalStepRunReason.Unchanged];

    /// <summary>The backends ran again for <paramref name="kernel"/> and for none of the other two kernels.</summary>
    private static void AssertBackendsRerunFor(string kernel, GeneratorDriver driver)
    {
        Dictionary<string, IncrementalStepRunReason> backends = BackendReasons(driver);
        Assert.Equal(["Offset", "Scale", "Square"], backends.Keys.Order());
        Assert.Equal(IncrementalStepRunReason.Modified, backends[kernel]);
        Assert.All(backends.Where(b => b.Key != kernel), b => Assert.Contains(b.Value, NotRerun));
    }

    [Fact]
    public void EditingOneKernelsBodyRerunsTheBackendsForThatKernelAlone()
    {
        Compilation before = Initial();
        Compilation after = Replace(before, "First.cs", First.Replace("x[i] + b;", "x[i] + 2 * b;"));
        GeneratorDriver driver = RunTwice(before, after);

        AssertBackendsRerunFor("Offset", driver);

        Dictionary<string, IncrementalStepRunReason> launchers = Reasons(driver, TrackingNames.Launchers, v => ((GeneratedSource)v).HintName);
        Assert.Equal(IncrementalStepRunReason.Modified, Assert.Single(launchers, l => l.Key.Contains("Offset")).Value);
        Assert.All(launchers.Where(l => !l.Key.Contains("Offset")), l => Assert.Contains(l.Value, NotRerun));
        AssertSameAsAFreshRun(driver, after);
    }

    [Fact]
    public void EditingAHelperRerunsTheBackendsOfTheKernelThatInlinesIt()
    {
        Compilation before = Initial();
        Compilation after = Replace(before, "Second.cs", Second.Replace("v * v", "v * v + 1"));
        GeneratorDriver driver = RunTwice(before, after);

        AssertBackendsRerunFor("Square", driver);
        AssertSameAsAFreshRun(driver, after);
    }

    [Fact]
    public void AnEditOutsideAnyKernelRerunsNoBackend()
    {
        Compilation before = Initial();
        Compilation after = before.AddSyntaxTrees(Tree("class Unrelated { public int Value => 42; }", "Unrelated.cs"));
        GeneratorDriver driver = RunTwice(before, after);

        Assert.All(BackendReasons(driver).Values, r => Assert.Contains(r, NotRerun));
        Assert.All(Reasons(driver, TrackingNames.Launchers, v => ((GeneratedSource)v).HintName).Values, r => Assert.Contains(r, NotRerun));
        Assert.All(driver.GetRunResult().Results.Single().TrackedSteps[TrackingNames.Catalog].SelectMany(s => s.Outputs), o => Assert.Contains(o.Reason, NotRerun));
        AssertSameAsAFreshRun(driver, after);
    }

    [Fact]
    public void MovingAKernelRerunsNoBackend()
    {
        // Lines added above both kernels of First.cs change their positions, not their code.
        Compilation before = Initial();
        Compilation after = Replace(before, "First.cs", "// a comment\n// and another\n" + First);
        GeneratorDriver driver = RunTwice(before, after);

        Dictionary<string, IncrementalStepRunReason> frontend = Reasons(driver, TrackingNames.Frontend, v => ((KernelModel)v).Lowered.Declaration.KernelName);
        Assert.Equal(IncrementalStepRunReason.Modified, frontend["Offset"]); // its position is part of the model
        Assert.All(BackendReasons(driver).Values, r => Assert.Contains(r, NotRerun));
        AssertSameAsAFreshRun(driver, after);
    }

    [Fact]
    public void DiagnosticsFollowAnEditAndMatchAFreshRun()
    {
        Compilation before = Initial();
        Compilation broken = Replace(before, "First.cs", First.Replace("x[i] + b;", "x[i] + b; var t = new float[2];"));
        GeneratorDriver driver = RunTwice(before, broken);
        Diagnostic d = Assert.Single(driver.GetRunResult().Diagnostics);
        Assert.Equal("RSA0002", d.Id);
        Assert.Equal("First.cs", d.Location.GetLineSpan().Path);
        Assert.DoesNotContain(driver.GetRunResult().GeneratedTrees, t => t.FilePath.Contains("Offset"));
        AssertSameAsAFreshRun(driver, broken);

        // Fixing it brings the launcher back, and the diagnostic goes.
        driver = driver.RunGenerators(before);
        Assert.Empty(driver.GetRunResult().Diagnostics);
        Assert.Contains(driver.GetRunResult().GeneratedTrees, t => t.FilePath.Contains("Offset"));
        AssertSameAsAFreshRun(driver, before);
    }

    /// <summary>The incremental run's files and diagnostics equal those of a new driver run on the same compilation.</summary>
    private static void AssertSameAsAFreshRun(GeneratorDriver incremental, Compilation compilation)
    {
        GeneratorDriverRunResult fresh = Driver().RunGenerators(compilation).GetRunResult();
        GeneratorDriverRunResult run = incremental.GetRunResult();
        static List<(string, string)> Files(GeneratorDriverRunResult r) =>
            r.GeneratedTrees.Select(t => (Path.GetFileName(t.FilePath), t.ToString())).OrderBy(f => f.Item1, StringComparer.Ordinal).ToList();
        Assert.Equal(Files(fresh), Files(run));
        Assert.Equal(fresh.Diagnostics.Select(d => d.ToString()).Order(), run.Diagnostics.Select(d => d.ToString()).Order());
        Assert.NotEmpty(fresh.GeneratedTrees);
    }
}
