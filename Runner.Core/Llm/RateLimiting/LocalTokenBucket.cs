namespace Runner.Core.Llm.RateLimiting;

/// <summary>
/// The token bucket of one process, used when no Redis is configured or Redis is unreachable. Same arithmetic as
/// <see cref="RedisScripts.TakeToken"/>: refill <c>rate</c> tokens per millisecond up to <c>burst</c>, take one.
/// </summary>
internal sealed class LocalTokenBucket(double tokensPerMillisecond, int burst)
{
    private readonly Lock gate = new();
    private double tokens = burst;
    private long? last;

    /// <summary>Takes a token and returns 0, or returns the milliseconds until one is available (taking none).</summary>
    public long TryTake(long nowMilliseconds)
    {
        lock (gate)
        {
            last ??= nowMilliseconds;
            if (nowMilliseconds > last)
            {
                tokens = Math.Min(burst, tokens + (nowMilliseconds - last.Value) * tokensPerMillisecond);
                last = nowMilliseconds;
            }

            if (tokens >= 1)
            {
                tokens -= 1;
                return 0;
            }

            return (long)Math.Ceiling((1 - tokens) / tokensPerMillisecond);
        }
    }
}
