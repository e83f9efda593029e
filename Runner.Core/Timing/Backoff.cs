namespace Runner.Core.Timing;

/// <summary>
/// The one backoff formula: exponential growth from <c>first</c>, capped at <c>max</c>, with jitter that keeps a share
/// of the delay for sure and spreads the rest. Pure: the random sample is an argument, so every delay decision is
/// testable and callers inject their randomness.
/// </summary>
public static class Backoff
{
    /// <summary><c>min(max, first · 2^(attempt − 1))</c>: the delay before jitter.</summary>
    /// <param name="attempt">1-based: 1 gives <paramref name="first"/>.</param>
    public static TimeSpan Ceiling(int attempt, TimeSpan first, TimeSpan max)
    {
        var ticks = first.Ticks * Math.Pow(2, Math.Clamp(attempt - 1, 0, 30));
        return ticks >= max.Ticks ? max : TimeSpan.FromTicks((long)ticks);
    }

    /// <summary>
    /// <paramref name="ceiling"/> less a random part of it: with <paramref name="spread"/> 0.5 ("equal jitter") the
    /// delay is never below half the ceiling, while callers that failed together spread out over the other half.
    /// </summary>
    /// <param name="spread">The share of the ceiling that is random, in [0, 1].</param>
    /// <param name="sample">A random sample in [0, 1).</param>
    public static TimeSpan Jitter(TimeSpan ceiling, double spread, double sample) =>
        TimeSpan.FromTicks((long)(ceiling.Ticks * (1 - spread + spread * Math.Clamp(sample, 0, 1))));

    /// <summary><see cref="Ceiling"/> then <see cref="Jitter"/>.</summary>
    public static TimeSpan Delay(int attempt, TimeSpan first, TimeSpan max, double spread, double sample) =>
        Jitter(Ceiling(attempt, first, max), spread, sample);
}
