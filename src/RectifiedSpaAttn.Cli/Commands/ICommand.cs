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

    /// <summary>Runs the command; returns the process exit code.</summary>
    int Run(ParsedArguments args, TextWriter output, TextWriter progress);
}
