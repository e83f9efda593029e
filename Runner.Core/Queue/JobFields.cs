namespace Runner.Core.Queue;

/// <summary>The field names of a job stream entry: the public job contract producers write.</summary>
public static class JobFields
{
    public const string Event = "event";
    public const string Delivery = "delivery";
    public const string Payload = "payload";
    public const string Attempt = "attempt";
    public const string EnqueuedAt = "enqueued_at";

    /// <summary>Set by the worker on a deferred copy: when this attempt was first deferred (Unix ms). Leave it out.</summary>
    public const string DeferredSince = "deferred_since";
}
