namespace RectifiedSpaAttn.Cli.Commands;

/// <summary>The last of several timed calls, with the median time of the timed ones and how they were taken.</summary>
internal sealed record TimedCalls<T>(T Last, TimeSpan Median, int Calls, bool WarmedUp);

/// <summary>
/// Honest timings: an untimed warm-up call first (it pays for first-call kernel compilation and cold caches), then the
/// median of several timed calls, so one slow outlier does not decide the figure.
/// </summary>
internal static class CallTiming
{
    /// <summary>
    /// Calls <paramref name="call"/> once untimed when <paramref name="warmUp"/>, then <paramref name="calls"/> times,
    /// and returns the median of the times <paramref name="elapsed"/> reads from the timed calls. The argument of
    /// <paramref name="call"/> says which call it is ("warm-up", "call 2 of 5"), for progress.
    /// </summary>
    public static TimedCalls<T> Measure<T>(Func<string, T> call, Func<T, TimeSpan> elapsed, int calls, bool warmUp)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(calls, 1);
        if (warmUp) call("warm-up");
        var times = new TimeSpan[calls];
        T last = default!;
        for (int i = 0; i < calls; i++)
        {
            last = call(calls == 1 ? "timed call" : $"call {i + 1} of {calls}");
            times[i] = elapsed(last);
        }
        return new TimedCalls<T>(last, Median(times), calls, warmUp);
    }

    /// <summary>The middle value; the mean of the two middle values for an even count.</summary>
    public static TimeSpan Median(IReadOnlyList<TimeSpan> times)
    {
        if (times.Count == 0) throw new ArgumentException("No times to take the median of.", nameof(times));
        TimeSpan[] sorted = [.. times.Order()];
        int middle = sorted.Length / 2;
        return sorted.Length % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
    }
}
