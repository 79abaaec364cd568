using RectifiedSpaAttn.Cli.Commands;

namespace RectifiedSpaAttn.Tests.Cli;

/// <summary>
/// Issue 13's "honest numbers" findings: the README's demo runs in Release, timings leave out the warm-up call and are
/// medians, and the demo's tables say what each column means and which way is better. No test times anything.
/// </summary>
public class CliTimingTests
{
    [Fact]
    public void TheWarmUpCallIsNotTimedAndTheMedianOfTheRestIsReported()
    {
        var durations = new Queue<double>([1000, 5, 9, 6]); // the first (warm-up) call pays for compilation
        var labels = new List<string>();

        TimedCalls<double> timed = CallTiming.Measure(label => { labels.Add(label); return durations.Dequeue(); }, TimeSpan.FromMilliseconds, 3, warmUp: true);

        Assert.Equal(TimeSpan.FromMilliseconds(6), timed.Median);
        Assert.Equal(3, timed.Calls);
        Assert.True(timed.WarmedUp);
        Assert.Equal(["warm-up", "call 1 of 3", "call 2 of 3", "call 3 of 3"], labels);
    }

    [Fact]
    public void MedianOfAnEvenCountIsTheMeanOfTheMiddleTwo()
    {
        Assert.Equal(TimeSpan.FromMilliseconds(2.5), CallTiming.Median([TimeSpan.FromMilliseconds(4), TimeSpan.FromMilliseconds(1), TimeSpan.FromMilliseconds(3), TimeSpan.FromMilliseconds(2)]));
        Assert.Equal(TimeSpan.FromMilliseconds(3), CallTiming.Median([TimeSpan.FromMilliseconds(5), TimeSpan.FromMilliseconds(1), TimeSpan.FromMilliseconds(3)]));
    }

    [Fact]
    public void DemoPrintsMediansAfterAWarmUpTheDeviceAndWhatEachColumnMeans()
    {
        var r = CliRunner.Run("demo", "--grid", "2,8,8", "--heads", "2", "--head-dim", "16", "--block-size", "16", "--repeat", "3", "--accelerator", "cpu");

        Assert.True(r.ExitCode == 0, r.Error);
        Assert.Contains("device: Cpu", r.Output);
        Assert.Contains("median of 3 timed calls after 1 untimed warm-up call (first-call kernel compilation excluded)", r.Output);
        foreach (string method in new[] { "dense", "sparse", "rectified" }) Assert.Matches($@"\n  {method} +\d+\.\d +\d+\.\d\dx", r.Output);
        Assert.Contains("rel-L2 vs dense  ||output - dense|| / ||dense||", r.Output);
        Assert.Contains("lower is better, 0 is exact", r.Output);
        Assert.Contains("higher is better, 1 is exact", r.Output);
        Assert.Contains("speed-up vs dense  dense time / this method's time; higher is better", r.Output);
        Assert.DoesNotContain("this demo will take", r.Error); // a small grid says nothing about minutes
    }

    [Fact]
    public void AGridThatTakesMinutesIsAnnouncedFromItsSize()
    {
        // The issue's 64 x 64 x 64 grid (262,144 tokens, 4 heads, D 64) at 40 GFLOP/s dense, this machine's CPU rate.
        double denseSeconds = RunEstimate.DenseOperations(4, 64 * 64 * 64, 64) / 40e9;
        var selection = new SelectionOptions(128, 0.75, null, 0.3, 0, 0, 0);

        DemoPlan plan = DemoPlan.For(denseSeconds, RunEstimate.SparseShare(selection, 2048), DemoCommand.DefaultRepeat, TimeSpan.FromSeconds(5));

        Assert.False(plan.WarmUp); // a call of minutes is timed once: compilation is noise at that size
        Assert.Equal(1, plan.Calls);
        Assert.True(plan.Total > TimeSpan.FromMinutes(30), plan.Total.ToString());
        Assert.Matches(@"^about \d+ minutes$|^about \d+\.\d hours$", RunEstimate.Describe(plan.Total));
    }

    [Fact]
    public void AQuickProblemIsWarmedUpAndRepeated()
    {
        DemoPlan plan = DemoPlan.For(0.05, 0.35, 5, TimeSpan.FromSeconds(5));
        Assert.True(plan.WarmUp);
        Assert.Equal(5, plan.Calls);
        Assert.Equal(0.05 * 1.7 * 6, plan.Total.TotalSeconds, 6);
    }

    [Theory]
    [InlineData(40, "about 40 seconds")]
    [InlineData(660, "about 11 minutes")]
    [InlineData(9000, "about 2.5 hours")]
    public void EstimatesAreSaidInWords(double seconds, string expected) =>
        Assert.Equal(expected, RunEstimate.Describe(TimeSpan.FromSeconds(seconds)));

    [Fact]
    public void TheReadmeDemoCommandBuildsRelease()
    {
        string readme = File.ReadAllText(Path.Combine(RepositoryRoot(), "README.md"));
        Assert.Contains("dotnet run -c Release --project src/RectifiedSpaAttn.Cli -- demo", readme);
        Assert.DoesNotContain("dotnet run --project src/RectifiedSpaAttn.Cli -- demo", readme);
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "RectifiedSpaAttn.sln"))) return dir.FullName;
        throw new DirectoryNotFoundException($"no RectifiedSpaAttn.sln above {AppContext.BaseDirectory}");
    }
}
