namespace Runner.Core.Llm.RateLimiting;

/// <summary>
/// "100 ms between requests, with jitter": each request of this process reserves a slot at least
/// <c>LLM_MIN_INTERVAL</c> plus a random 0–50 % of it after the previous one, so concurrent jobs never fire together.
/// </summary>
internal sealed class RequestSpacing(TimeSpan interval, Func<double> random01)
{
    private readonly Lock gate = new();
    private DateTimeOffset next = DateTimeOffset.MinValue;

    /// <summary>Reserves the next slot and returns how long to wait for it.</summary>
    public TimeSpan Reserve(DateTimeOffset now)
    {
        if (interval <= TimeSpan.Zero)
        {
            return TimeSpan.Zero;
        }

        lock (gate)
        {
            var start = next > now ? next : now;
            next = start + interval + interval / 2 * random01();
            return start - now;
        }
    }
}
