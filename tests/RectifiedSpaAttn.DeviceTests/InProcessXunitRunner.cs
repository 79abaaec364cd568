using System.Collections.Concurrent;
using System.Reflection;
using Xunit;
using Xunit.Runner.Common;
using Xunit.Sdk;
using Xunit.v3;

namespace RectifiedSpaAttn.DeviceTests;

/// <summary>Discovers and runs the xunit v3 tests of one assembly in this process, through the assembly's own test framework.</summary>
internal static class InProcessXunitRunner
{
    /// <summary>Runs the tests of <paramref name="assembly"/> whose display name contains one of <paramref name="filters"/> (all when none).</summary>
    /// <returns>How many tests were selected and how many of them failed.</returns>
    public static (int Selected, int Failed) Run(Assembly assembly, IReadOnlyList<string> filters, TextWriter output)
    {
        // xunit v3 keeps per-test state in TestContext; a runner puts it in its initial state before discovery.
        TestContext.SetForInitialization(diagnosticMessageSink: null, diagnosticMessages: false, internalDiagnosticMessages: false);
        ITestFramework framework = RegisteredEngineConfig.GetTestFramework(assembly, configFileName: null);
        var discovered = new List<ITestCase>();
        framework.GetDiscoverer(assembly)
            .Find(testCase => { discovered.Add(testCase); return new ValueTask<bool>(true); },
                TestFrameworkOptions.ForDiscovery(new TestAssemblyConfiguration()))
            .AsTask().GetAwaiter().GetResult();
        List<ITestCase> selected = discovered
            .Where(t => filters.Count == 0 || filters.Any(f => t.TestCaseDisplayName.Contains(f, StringComparison.Ordinal)))
            .ToList();
        output.WriteLine($"{assembly.GetName().Name}: running {selected.Count} of {discovered.Count} tests{(filters.Count > 0 ? " matching " + string.Join(" | ", filters) : "")}");
        if (selected.Count == 0) return (0, 0);

        // Accelerator tests share one device; run collections one after another, as CI does on pocl.
        var configuration = new TestAssemblyConfiguration { ParallelMode = ParallelMode.None };
        var execution = new ExecutionSink(output);
        framework.GetExecutor(assembly)
            .RunTestCases(selected, execution, TestFrameworkOptions.ForExecution(configuration))
            .AsTask().GetAwaiter().GetResult();
        output.WriteLine($"passed {execution.Passed}, failed {execution.Failed}, skipped {execution.Skipped}");
        return (selected.Count, execution.Failed);
    }

    /// <summary>Counts results and prints failures, skips and test output; v3 messages carry a test's id, so names come from its start message.</summary>
    private sealed class ExecutionSink(TextWriter output) : IMessageSink
    {
        private readonly ConcurrentDictionary<string, string> _names = new();
        public int Passed, Failed, Skipped;

        public bool OnMessage(IMessageSinkMessage message)
        {
            switch (message)
            {
                case ITestStarting starting:
                    _names[starting.TestUniqueID] = starting.TestDisplayName;
                    break;
                case ITestPassed passed:
                    Interlocked.Increment(ref Passed);
                    if (!string.IsNullOrWhiteSpace(passed.Output)) output.Write(Indent(Name(passed), passed.Output));
                    break;
                case ITestFailed failed:
                    Interlocked.Increment(ref Failed);
                    lock (output)
                    {
                        output.WriteLine($"FAIL {Name(failed)}");
                        output.WriteLine("  " + string.Join(Environment.NewLine + "  ", failed.Messages));
                        output.WriteLine("  " + (failed.StackTraces.FirstOrDefault() ?? "").Replace("\n", "\n  "));
                        if (!string.IsNullOrWhiteSpace(failed.Output)) output.Write(Indent(Name(failed), failed.Output));
                    }
                    break;
                case ITestSkipped skipped:
                    Interlocked.Increment(ref Skipped);
                    output.WriteLine($"SKIP {Name(skipped)}: {skipped.Reason}");
                    break;
            }
            return true;
        }

        private string Name(ITestMessage message) => _names.TryGetValue(message.TestUniqueID, out string? name) ? name : message.TestUniqueID;

        private static string Indent(string test, string text) =>
            string.Concat(text.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => $"  [{test}] {l.TrimEnd()}\n"));
    }
}
