namespace Runner.Core.Queue;

/// <summary>Fields the worker puts in front of the original fields of a dead-lettered entry.</summary>
public static class DeadLetterFields
{
    public const string Error = "error";
    public const string Attempts = "attempts";
    public const string FailedAt = "failed_at";
    public const string StreamId = "stream_id";
    public const string Consumer = "consumer";

    /// <summary>Fields dropped when a dead entry is replayed, so it starts over as a fresh job.</summary>
    public static readonly IReadOnlySet<string> Metadata =
        new HashSet<string>(StringComparer.Ordinal) { Error, Attempts, FailedAt, StreamId, Consumer, JobFields.Attempt, JobFields.DeferredSince };
}
