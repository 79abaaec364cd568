using RectifiedSpaAttn.Cli.Arguments;

namespace RectifiedSpaAttn.Cli.Commands;

/// <summary>One <c>rsa</c> sub-command.</summary>
internal interface ICommand
{
    /// <summary>The word that selects the command.</summary>
    string Name { get; }

    /// <summary>One line for <c>rsa --help</c>.</summary>
    string Summary { get; }

    /// <summary>The full text for <c>rsa NAME --help</c>.</summary>
    string Help { get; }

    /// <summary>Options that take no value.</summary>
    IReadOnlySet<string> Switches { get; }

    /// <summary>How many plain values may come before the options (<c>rsa inspect FILE</c>); none by default.</summary>
    int Positionals => 0;

    /// <summary>Runs the command; returns the process exit code. <paramref name="display"/> draws live progress on a terminal.</summary>
    int Run(ParsedArguments args, TextWriter output, TextWriter progress, Progress.ProgressDisplay display);
}
