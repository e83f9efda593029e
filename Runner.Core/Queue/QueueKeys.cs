using StackExchange.Redis;

namespace Runner.Core.Queue;

/// <summary>Every Redis key the queue uses, all derived from the stream name so two queues on one Redis never collide.</summary>
public sealed record QueueKeys(string Stream, string Group)
{
    public QueueKeys(QueueOptions options) : this(options.Stream, options.Group)
    {
    }

    public RedisKey StreamKey => Stream;

    /// <summary>The dead-letter stream: <c>runner:jobs:dead</c>.</summary>
    public RedisKey Dead => $"{Stream}:dead";

    /// <summary>Sorted set of scheduled retries: member = encoded fields, score = due time in Unix milliseconds.</summary>
    public RedisKey Retry => $"{Stream}:retry";

    /// <summary>Present for <c>RUNNER_IDEMPOTENCY_TTL</c> after a delivery completed.</summary>
    public RedisKey Done(string delivery) => $"{Stream}:done:{delivery}";

    /// <summary>What every done key starts with (<see cref="Done"/>): scripts that read deliveries themselves build the keys from it.</summary>
    public string DonePrefix => $"{Stream}:done:";

    /// <summary>What every running key starts with.</summary>
    public string RunningPrefix => $"{Stream}:running:";

    /// <summary>Held while a delivery runs, so a duplicate entry of the same delivery never runs beside it.</summary>
    public RedisKey Running(string delivery) => $"{Stream}:running:{delivery}";

    /// <summary>Per-minute outcome counters (hash fields processed/retried/dead) that <c>status</c> reads.</summary>
    public RedisKey Stats(long unixMinute) => $"{Stream}:stats:{unixMinute}";

    public string StatsPrefix => $"{Stream}:stats:";
}
