using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace Runner.Core.Queue;

/// <summary>
/// Shared by the worker's loops so an outage is logged once when it starts and once when it ends, however many
/// loops hit it. Each loop waits its own capped exponential backoff between attempts.
/// </summary>
internal sealed class RedisOutage(ILogger logger, TimeProvider timeProvider, Random random)
{
    private static readonly TimeSpan FirstDelay = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan MaxDelay = TimeSpan.FromSeconds(5);

    private readonly Lock gate = new();
    private DateTimeOffset? since;
    private int recoveries;

    public bool IsOngoing
    {
        get
        {
            lock (gate)
            {
                return since is not null;
            }
        }
    }

    /// <summary>Bumped every time Redis answers again after an outage.</summary>
    public int Recoveries => Volatile.Read(ref recoveries);

    /// <summary>Redis cannot be reached or is not ready (restarting, loading its data, failing over).</summary>
    public static bool IsUnavailable(Exception exception) => exception switch
    {
        RedisConnectionException or RedisTimeoutException or ObjectDisposedException => true,
        RedisServerException server => server.Message.StartsWith("LOADING", StringComparison.Ordinal)
                                       || server.Message.StartsWith("MASTERDOWN", StringComparison.Ordinal)
                                       || server.Message.StartsWith("READONLY", StringComparison.Ordinal)
                                       || server.Message.StartsWith("TRYAGAIN", StringComparison.Ordinal)
                                       || server.Message.StartsWith("BUSY", StringComparison.Ordinal),
        _ => exception.InnerException is { } inner && IsUnavailable(inner),
    };

    public void Failed(Exception exception)
    {
        lock (gate)
        {
            if (since is not null)
            {
                return;
            }

            since = timeProvider.GetUtcNow();
        }

        logger.LogWarning("Redis is unavailable ({Reason}); the worker keeps retrying with backoff and resumes when it is back",
            exception.GetType().Name + ": " + exception.Message);
    }

    /// <summary>An outage is logged once; any other failure is logged as an error each time (it is a bug or a misconfiguration).</summary>
    public void Report(Exception exception, string activity)
    {
        if (IsUnavailable(exception))
        {
            Failed(exception);
        }
        else
        {
            logger.LogError(exception, "Queue worker failed while {Activity}; retrying", activity);
        }
    }

    public void Succeeded()
    {
        DateTimeOffset started;
        lock (gate)
        {
            if (since is not { } value)
            {
                return;
            }

            started = value;
            since = null;
        }

        Interlocked.Increment(ref recoveries);
        logger.LogInformation("Redis is reachable again after {OutageSeconds:0.0} s", (timeProvider.GetUtcNow() - started).TotalSeconds);
    }

    /// <summary>The delay before retry number <paramref name="failures"/> (1-based) of one loop.</summary>
    public TimeSpan Backoff(int failures) => Timing.Backoff.Delay(failures, FirstDelay, MaxDelay, 0.25, random.NextDouble());
}
