namespace Runner.Core.Queue;

/// <summary>
/// One entry of the job stream, as the public job contract defines it (fields <c>event</c>, <c>delivery</c>,
/// <c>payload</c>; optional <c>attempt</c> and <c>enqueued_at</c>).
/// </summary>
/// <param name="StreamId">The Redis stream entry id this job was read from.</param>
/// <param name="Event">GitHub's event name (X-GitHub-Event), e.g. <c>issues</c>.</param>
/// <param name="Delivery">GitHub's X-GitHub-Delivery id: the idempotency key.</param>
/// <param name="Payload">The raw webhook JSON.</param>
/// <param name="Attempt">1 for the first run, incremented by every job-level retry.</param>
/// <param name="EnqueuedAt">When the producer enqueued it, when the producer said so.</param>
/// <param name="MaxAttempts">The attempt limit (<c>RUNNER_MAX_ATTEMPTS</c>) the worker applies to this job. Not a
/// stream field: the worker sets it, so a handler knows whether a transient failure will be retried.</param>
public sealed record Job(
    string StreamId,
    string Event,
    string Delivery,
    string Payload,
    int Attempt,
    DateTimeOffset? EnqueuedAt,
    int MaxAttempts = QueueOptions.DefaultMaxAttempts)
{
    /// <summary>True when a failure of this attempt is not retried: the job then goes to the dead-letter stream.</summary>
    public bool IsLastAttempt => Attempt >= MaxAttempts;
}
