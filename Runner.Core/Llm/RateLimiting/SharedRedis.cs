using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace Runner.Core.Llm.RateLimiting;

/// <summary>
/// Runs the rate limiter's scripts on the shared Redis when it is there and reachable; otherwise answers
/// "unavailable" at once so the caller falls back to its local state. The switch to local is logged once per
/// outage, the return once.
/// </summary>
internal sealed class SharedRedis(IConnectionMultiplexer? multiplexer, ILogger logger)
{
    private int down;

    public bool Configured => multiplexer is not null;

    /// <summary>The script's integer result, or null when Redis is missing or unreachable.</summary>
    public async Task<long?> TryEvaluateAsync(string script, RedisKey key, params RedisValue[] arguments)
    {
        if (multiplexer is null)
        {
            return null;
        }

        if (!multiplexer.IsConnected)
        {
            MarkDown(null);
            return null;
        }

        try
        {
            var result = await multiplexer.GetDatabase().ScriptEvaluateAsync(script, [key], arguments);
            MarkUp();
            return (long)result;
        }
        catch (Exception exception) when (exception is RedisException or TimeoutException)
        {
            MarkDown(exception);
            return null;
        }
    }

    private void MarkDown(Exception? exception)
    {
        if (Interlocked.Exchange(ref down, 1) == 0)
        {
            logger.LogWarning(
                "Redis is unreachable ({Error}): LLM rate limiting falls back to this process's own token bucket and pause until it is back",
                exception?.GetType().Name ?? "not connected");
        }
    }

    private void MarkUp()
    {
        if (Interlocked.Exchange(ref down, 0) == 1)
        {
            logger.LogInformation("Redis is reachable again: LLM rate limiting is shared by all replicas again");
        }
    }
}
