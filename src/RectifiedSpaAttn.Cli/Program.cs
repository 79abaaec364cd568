using RectifiedSpaAttn.Cli;
using RectifiedSpaAttn.Cli.Progress;

// Live progress only where a person watches: not when stderr goes to a file or a pipe.
return CommandLine.Run(args, Console.Out, Console.Error, Console.IsErrorRedirected ? ProgressDisplay.None : new ProgressDisplay(Console.Error));
