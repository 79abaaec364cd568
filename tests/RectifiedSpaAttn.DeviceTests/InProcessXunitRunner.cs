using System.Reflection;
using Xunit.Abstractions;
using Xunit.Sdk;

namespace RectifiedSpaAttn.DeviceTests;

/// <summary>Discovers and runs xunit v2 tests of one assembly in this process, through xunit's own test framework.</summary>
internal static class InProcessXunitRunner
{
    /// <summary>Runs the tests of <paramref name="assembly"/> whose display name contains one of <paramref name="filters"/> (all when none).</summary>
    /// <returns>How many tests were selected and how many of them failed.</returns>
    public static (int Selected, int Failed) Run(Assembly assembly, IReadOnlyList<string> filters, TextWriter output)
    {
        var framework = new XunitTestFramework(new NullMessageSink());
        IAssemblyInfo assemblyInfo = Reflector.Wrap(assembly);

        using var discovery = new DiscoverySink();
        framework.GetDiscoverer(assemblyInfo).Find(includeSourceInformation: false, discovery, new FrameworkOptions());
        discovery.Finished.WaitOne();
        List<ITestCase> selected = discovery.TestCases
            .Where(t => filters.Count == 0 || filters.Any(f => t.DisplayName.Contains(f, StringComparison.Ordinal)))
            .ToList();
        output.WriteLine($"{assembly.GetName().Name}: running {selected.Count} of {discovery.TestCases.Count} tests{(filters.Count > 0 ? " matching " + string.Join(" | ", filters) : "")}");
        if (selected.Count == 0) return (0, 0);

        var options = new FrameworkOptions();
        // Accelerator tests share one device; run collections one after another, as CI does on pocl.
        options.SetValue("xunit.execution.DisableParallelization", true);
        using var execution = new ExecutionSink(output);
        framework.GetExecutor(assembly.GetName()).RunTests(selected, execution, options);
        execution.Finished.WaitOne();
        output.WriteLine($"passed {execution.Passed}, failed {execution.Failed}, skipped {execution.Skipped}");
        return (selected.Count, execution.Failed);
    }

    /// <summary>Options as a plain dictionary (xunit's own implementation lives in its runner package).</summary>
    private sealed class FrameworkOptions : ITestFrameworkDiscoveryOptions, ITestFrameworkExecutionOptions
    {
        private readonly Dictionary<string, object?> _values = new();

        public TValue GetValue<TValue>(string name) => _values.TryGetValue(name, out object? v) && v is TValue t ? t : default!;

        public void SetValue<TValue>(string name, TValue value) => _values[name] = value;
    }

    private sealed class DiscoverySink : IMessageSink, IDisposable
    {
        public List<ITestCase> TestCases { get; } = new();
        public ManualResetEvent Finished { get; } = new(false);

        public bool OnMessage(IMessageSinkMessage message)
        {
            if (message is ITestCaseDiscoveryMessage found) TestCases.Add(found.TestCase);
            if (message is IDiscoveryCompleteMessage) Finished.Set();
            return true;
        }

        public void Dispose() => Finished.Dispose();
    }

    private sealed class ExecutionSink(TextWriter output) : IMessageSink, IDisposable
    {
        public int Passed, Failed, Skipped;
        public ManualResetEvent Finished { get; } = new(false);

        public bool OnMessage(IMessageSinkMessage message)
        {
            switch (message)
            {
                case ITestPassed passed:
                    Interlocked.Increment(ref Passed);
                    if (!string.IsNullOrWhiteSpace(passed.Output)) output.Write(Indent(passed.Test.DisplayName, passed.Output));
                    break;
                case ITestFailed failed:
                    Interlocked.Increment(ref Failed);
                    lock (output)
                    {
                        output.WriteLine($"FAIL {failed.Test.DisplayName}");
                        output.WriteLine("  " + string.Join(Environment.NewLine + "  ", failed.Messages));
                        output.WriteLine("  " + (failed.StackTraces.FirstOrDefault() ?? "").Replace("\n", "\n  "));
                        if (!string.IsNullOrWhiteSpace(failed.Output)) output.Write(Indent(failed.Test.DisplayName, failed.Output));
                    }
                    break;
                case ITestSkipped skipped:
                    Interlocked.Increment(ref Skipped);
                    output.WriteLine($"SKIP {skipped.Test.DisplayName}: {skipped.Reason}");
                    break;
                case ITestAssemblyFinished:
                    Finished.Set();
                    break;
            }
            return true;
        }

        private static string Indent(string test, string text) =>
            string.Concat(text.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => $"  [{test}] {l.TrimEnd()}\n"));

        public void Dispose() => Finished.Dispose();
    }
}
