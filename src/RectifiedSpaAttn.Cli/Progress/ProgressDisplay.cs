using Spectre.Console;

namespace RectifiedSpaAttn.Cli.Progress;

/// <summary>
/// Shows <see cref="HeadProgress"/> as live progress bars on a terminal's stderr (one per step, with the head, elapsed
/// time and Spectre.Console's estimate of the time left). Disabled, it shows nothing: when stderr is not a terminal
/// (redirected to a file or a pipe) the output stays plain lines.
/// </summary>
internal sealed class ProgressDisplay(TextWriter? terminal)
{
    /// <summary>A display that never shows anything (stderr is not a terminal, or in tests).</summary>
    public static ProgressDisplay None { get; } = new(null);

    /// <summary>True when progress can be shown.</summary>
    public bool Enabled => terminal is not null;

    /// <summary>
    /// Runs <paramref name="work"/>, handing it a progress sink when <paramref name="show"/> and the display is enabled
    /// (null otherwise, and then nothing is drawn). With <paramref name="totalHeads"/> (heads times the steps to come),
    /// an "all steps" bar gives the estimate for the whole run; each step's own bar disappears when it completes.
    /// </summary>
    public T Run<T>(bool show, Func<IProgress<HeadProgress>?, T> work, int totalHeads = 0)
    {
        if (!show || terminal is null) return work(null);
        IAnsiConsole console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(terminal) });
        return console.Progress()
            .AutoClear(false)
            .HideCompleted(true)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new RemainingTimeColumn(), new SpinnerColumn())
            .Start(context => work(new Sink(context, totalHeads > 0 ? context.AddTask("all steps", maxValue: totalHeads) : null)));
    }

    private sealed class Sink(ProgressContext context, ProgressTask? overall) : IProgress<HeadProgress>
    {
        private readonly Dictionary<string, ProgressTask> _tasks = new(StringComparer.Ordinal);

        public void Report(HeadProgress value)
        {
            if (!_tasks.TryGetValue(value.Step, out ProgressTask? task))
                _tasks[value.Step] = task = context.AddTask(Markup.Escape(value.Step), maxValue: Math.Max(value.Heads, 1));
            string head = value.HeadsDone < value.Heads ? $"head {value.HeadsDone + 1} of {value.Heads}" : $"{value.Heads} heads";
            task.Description = Markup.Escape($"{value.Step}: {head}");
            overall?.Increment(Math.Max(0, value.HeadsDone - task.Value));
            task.Value = value.HeadsDone;
        }
    }
}
