namespace RectifiedSpaAttn.Cli.Arguments;

/// <summary>A mistake in how the command was called: printed as one line, exit code 2.</summary>
internal sealed class UsageException(string message) : Exception(message);
