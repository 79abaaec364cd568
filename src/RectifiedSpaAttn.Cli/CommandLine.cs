using RectifiedSpaAttn.Cli.Arguments;
using RectifiedSpaAttn.Cli.Commands;

namespace RectifiedSpaAttn.Cli;

/// <summary>
/// Dispatches <c>rsa COMMAND [options]</c>. User errors (bad options, missing or malformed files, invalid
/// shapes) print one line on stderr and exit non-zero; only genuine bugs show a stack trace.
/// </summary>
internal static class CommandLine
{
    /// <summary>Exit code for success.</summary>
    public const int Success = 0;
    /// <summary>Exit code for bad input data or an operation that failed for a reason the user can fix.</summary>
    public const int Failure = 1;
    /// <summary>Exit code for a malformed command line.</summary>
    public const int UsageError = 2;

    private static readonly ICommand[] Commands = [new DemoCommand(), new RunCommand(), new InspectCommand(), new DevicesCommand(), new KernelsCommand()];

    /// <summary>Runs one command line; <paramref name="display"/> (default: none) draws live progress on a terminal's stderr.</summary>
    public static int Run(string[] args, TextWriter output, TextWriter error, Progress.ProgressDisplay? display = null)
    {
        if (args.Length == 0 || args[0] is "--help" or "-h" or "help")
        {
            PrintOverview(args.Length == 0 ? error : output);
            return args.Length == 0 ? UsageError : Success;
        }
        if (args[0] == "--version")
        {
            output.WriteLine(typeof(CommandLine).Assembly.GetName().Version);
            return Success;
        }

        ICommand? command = Array.Find(Commands, c => c.Name == args[0]);
        if (command is null)
        {
            error.WriteLine($"rsa: unknown command '{args[0]}'. Commands: {string.Join(", ", Commands.Select(c => c.Name))} (rsa --help).");
            return UsageError;
        }
        if (args.Skip(1).Any(a => a is "--help" or "-h"))
        {
            output.WriteLine(command.Help);
            return Success;
        }

        try
        {
            ParsedArguments parsed = ParsedArguments.Parse(args[1..], command.Switches, command.Positionals);
            return command.Run(parsed, output, error, display ?? Progress.ProgressDisplay.None);
        }
        catch (UsageException e)
        {
            error.WriteLine($"rsa {command.Name}: {e.Message}");
            return UsageError;
        }
        catch (Exception e) when (UserErrors.IsUserError(e))
        {
            error.WriteLine($"rsa {command.Name}: error: {UserErrors.Describe(e)}");
            return Failure;
        }
    }

    private static void PrintOverview(TextWriter writer)
    {
        writer.WriteLine("rsa: Rectified SpaAttn (arXiv 2511.19835) for .NET");
        writer.WriteLine();
        writer.WriteLine("usage: rsa COMMAND [options]     (rsa COMMAND --help for its options)");
        writer.WriteLine();
        foreach (ICommand c in Commands) writer.WriteLine($"  {c.Name,-10} {c.Summary}");
    }
}
