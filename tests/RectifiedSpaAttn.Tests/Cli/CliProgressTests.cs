using RectifiedSpaAttn.Cli.Commands;
using RectifiedSpaAttn.Cli.Progress;
using RectifiedSpaAttn.Tensors;

namespace RectifiedSpaAttn.Tests.Cli;

/// <summary>
/// Issue 13's "progress" findings: long runs report step and head as they go (rendered only on a terminal), and
/// running head by head for that gives the same result as all heads at once.
/// </summary>
public class CliProgressTests
{
    [Theory]
    [InlineData("rectified")]
    [InlineData("sparse")]
    [InlineData("dense")]
    public void HeadByHeadGivesTheSameResultAndReportsEveryHead(string methodName)
    {
        CliMethod method = CliMethods.Parse(methodName);
        var (q, k, v) = CliCases.RandomQkv(2, 3, 96, 8);
        var setup = new AttentionSetup(new SelectionOptions(32, null, 1, 0.3, 0, 0, 0));
        var reports = new List<HeadProgress>();

        AttentionOutcome whole = AttentionExecution.Run(method, q, k, v, setup, accelerator: null);
        AttentionOutcome byHead = AttentionExecution.Run(method, q, k, v, setup, accelerator: null, new ListProgress(reports), "step");

        Assert.Equal(whole.Output.Span.ToArray(), byHead.Output.Span.ToArray());
        Assert.Equal(whole.Mask.Span.ToArray(), byHead.Mask.Span.ToArray());
        Assert.Equal(whole.Density, byHead.Density, 12);
        Assert.Equal(Enumerable.Range(0, 7).Select(done => new HeadProgress("step", done, 6)), reports);
    }

    [Fact]
    public void HeadByHeadReportsANonFiniteInputAtItsIndexInTheWholeTensor()
    {
        var (q, k, v) = CliCases.RandomQkv(1, 3, 64, 8);
        k[0, 2, 7, 1] = float.NaN;
        var setup = new AttentionSetup(new SelectionOptions(32, 0.5, null, 0.3, 0, 0, 0));

        var e = Assert.Throws<ArgumentException>(() => AttentionExecution.Run(CliMethod.Rectified, q, k, v, setup, null, new ListProgress([]), "step"));

        Assert.Contains("k contains NaN at [0, 2, 7, 1]", e.Message);
    }

    [Fact]
    public void WithoutATerminalNothingIsDrawnAndNoProgressIsAsked()
    {
        IProgress<HeadProgress>? given = new ListProgress([]);
        int result = ProgressDisplay.None.Run(show: true, sink => { given = sink; return 42; });
        Assert.Equal(42, result);
        Assert.Null(given);
        Assert.False(ProgressDisplay.None.Enabled);
    }

    [Fact]
    public void ATerminalDisplayDrawsTheStepAndHead()
    {
        var terminal = new StringWriter();
        var display = new ProgressDisplay(terminal);
        display.Run(show: true, sink =>
        {
            sink!.Report(new HeadProgress("dense, call 1 of 2", 0, 4));
            sink.Report(new HeadProgress("dense, call 1 of 2", 1, 4));
            return 0;
        });
        Assert.Contains("dense, call 1 of 2: head 2 of 4", terminal.ToString());
    }

    private sealed class ListProgress(List<HeadProgress> reports) : IProgress<HeadProgress>
    {
        public void Report(HeadProgress value) => reports.Add(value);
    }
}
