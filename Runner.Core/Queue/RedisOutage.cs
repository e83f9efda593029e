using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace Runner.Core.Queue;

/// <summary>
/// Shared by the worker's loops so an outage is logged once when it starts and once when it ends, however many
/// loops hit it. Each loop waits its own capped exponential backoff between attempts. An outage ends once Redis has
/// answered for <see cref="Settle"/> without a failure in between: during a cluster failover some commands succeed
/// while others still reach the old master or a node the client still takes for a replica, and that flapping is one
/// outage, not several. For the same reason failures within <see cref="Relapse"/> of a recovery are logged only if
/// they last that long.
/// </summary>
internal sealed class RedisOutage(ILogger logger, TimeProvider timeProvider, Random random)
{
    private static readonly TimeSpan FirstDelay = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan MaxDelay = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan Settle = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan Relapse = TimeSpan.FromSeconds(10);

    private readonly Lock gate = new();
    private DateTimeOffset? since;
    private DateTimeOffset? answeringSince;
    private DateTimeOffset? recoveredAt;
    private bool announced;
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

    /// <summary>
    /// Redis cannot be reached or is not ready (restarting, loading its data, failing over). CLUSTERDOWN is what every
    /// node of a Redis Cluster answers while a master is down and its replica not yet promoted.
    /// </summary>
    public static bool IsUnavailable(Exception exception) => exception switch
    {
        RedisConnectionException or RedisTimeoutException or ObjectDisposedException => true,
        RedisServerException server => server.Message.StartsWith("LOADING", StringComparison.Ordinal)
                                       || server.Message.StartsWith("MASTERDOWN", StringComparison.Ordinal)
                                       || server.Message.StartsWith("READONLY", StringComparison.Ordinal)
                                       || server.Message.StartsWith("TRYAGAIN", StringComparison.Ordinal)
                                       || server.Message.StartsWith("CLUSTERDOWN", StringComparison.Ordinal)
                                       || server.Message.StartsWith("BUSY", StringComparison.Ordinal),
        // Right after a cluster failover the client may still take the promoted master for a replica until it re-reads
        // the topology, and refuses to send it a write.
        RedisCommandException command => command.Message.StartsWith("Command cannot be issued to a replica", StringComparison.Ordinal),
        _ => exception.InnerException is { } inner && IsUnavailable(inner),
    };

    public void Failed(Exception exception)
    {
        lock (gate)
        {
            var now = timeProvider.GetUtcNow();
            answeringSince = null;
            if (since is null)
            {
                since = now;

                // Failures soon after a recovery are the tail of the same event (a failover settling): say nothing
                // unless they last.
                announced = recoveredAt is not { } recovered || now - recovered >= Relapse;
            }
            else if (announced || now - since < Relapse)
            {
                return;
            }
            else
            {
                announced = true;
            }
        }

        if (announced)
        {
            logger.LogWarning("Redis is unavailable ({Reason}); the worker keeps retrying with backoff and resumes when it is back",
                exception.GetType().Name + ": " + exception.Message);
        }
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
        DateTimeOffset started, back;
        bool wasAnnounced;
        lock (gate)
        {
            if (since is not { } value)
            {
                return;
            }

            var now = timeProvider.GetUtcNow();
            answeringSince ??= now;
            if (now - answeringSince < Settle)
            {
                return;
            }

            (started, back) = (value, answeringSince.Value);
            since = null;
            answeringSince = null;
            recoveredAt = now;
            wasAnnounced = announced;
        }

        Interlocked.Increment(ref recoveries);
        if (wasAnnounced)
        {
            logger.LogInformation("Redis is reachable again after {OutageSeconds:0.0} s", (back - started).TotalSeconds);
        }
    }

    /// <summary>The delay before retry number <paramref name="failures"/> (1-based) of one loop.</summary>
    public TimeSpan Backoff(int failures) => Timing.Backoff.Delay(failures, FirstDelay, MaxDelay, 0.25, random.NextDouble());
}
