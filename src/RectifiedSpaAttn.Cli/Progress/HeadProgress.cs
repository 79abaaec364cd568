namespace RectifiedSpaAttn.Cli.Progress;

/// <summary>How far a long computation is: its step (e.g. "dense, call 1 of 2") and how many of its heads are done.</summary>
internal readonly record struct HeadProgress(string Step, int HeadsDone, int Heads);
