namespace Runner.Core.Queue;

/// <summary>A snapshot of the queue for the <c>status</c> verb.</summary>
/// <param name="Length">Entries in the stream, acknowledged history included.</param>
/// <param name="GroupExists">Whether the consumer group exists (a worker creates it at start).</param>
/// <param name="Lag">Entries not yet delivered to any consumer of the group, when Redis knows it.</param>
/// <param name="Pending">Entries delivered and not yet acknowledged.</param>
/// <param name="ScheduledRetries">Jobs waiting for their next attempt.</param>
/// <param name="Dead">Entries in the dead-letter stream.</param>
public sealed record QueueStatus(
    string Stream,
    string Group,
    long Length,
    bool GroupExists,
    string? LastDeliveredId,
    long? Lag,
    long Pending,
    IReadOnlyList<ConsumerStatus> Consumers,
    long ScheduledRetries,
    long Dead,
    IReadOnlyList<OutcomeWindow> Throughput);

/// <param name="Pending">Entries this consumer holds unacknowledged.</param>
/// <param name="Idle">Time since the consumer last read or claimed (a running job's heartbeat counts).</param>
public sealed record ConsumerStatus(string Name, long Pending, TimeSpan Idle);

/// <summary>Job outcomes over the last <see cref="Window"/>, counted by the workers per minute.</summary>
public sealed record OutcomeWindow(TimeSpan Window, long Processed, long Retried, long Dead);

/// <summary>An entry of the dead-letter stream.</summary>
/// <param name="Id">Its id in the dead-letter stream (what <c>dead replay</c> takes).</param>
/// <param name="StreamId">The id it had in the job stream.</param>
public sealed record DeadJob(
    string Id,
    string? Event,
    string? Delivery,
    string? Error,
    int? Attempts,
    string? FailedAt,
    string? StreamId);
