namespace Runner.Core.Llm.Retries;

/// <summary>
/// The retry promises: exponential backoff 1, 2, 4, 8, 16 s (then 16 s) with equal jitter; which statuses are
/// retried; how long a Retry-After is honoured in place; which 429s are a spent quota rather than a throttle.
/// </summary>
internal static class RetryPolicy
{
    public static readonly TimeSpan FirstBackoff = TimeSpan.FromSeconds(1);
    public static readonly TimeSpan MaxBackoff = TimeSpan.FromSeconds(16);

    /// <summary>The longest Retry-After the client waits in place; a longer one sends the job back to the queue.</summary>
    public static readonly TimeSpan MaxRetryAfter = TimeSpan.FromSeconds(60);

    private static readonly string[] QuotaMarkers =
    [
        "usage limit", "quota", "upgrade for higher limits", "upgrade to continue", "billing", "credit balance",
    ];

    /// <summary>The backoff before the retry that follows failed attempt <paramref name="failedAttempt"/> (1-based), before jitter.</summary>
    public static TimeSpan Ceiling(int failedAttempt) => Timing.Backoff.Ceiling(failedAttempt, FirstBackoff, MaxBackoff);

    /// <summary>
    /// Equal jitter: half the ceiling for sure plus a random share of the other half, so a retry never comes
    /// sooner than half the promised backoff while replicas that failed together spread out.
    /// </summary>
    public static TimeSpan Backoff(int failedAttempt, double random01) =>
        Timing.Backoff.Delay(failedAttempt, FirstBackoff, MaxBackoff, 0.5, random01);

    /// <summary>408, 409, 429 and every 5xx are retried; every other status is not.</summary>
    public static bool IsRetryable(int statusCode) => statusCode is 408 or 409 or 429 || statusCode >= 500;

    /// <summary>A 429 whose text says a usage or quota limit was reached (e.g. Ollama's session or weekly limit).</summary>
    public static bool IsQuotaExhausted(int statusCode, string reason) =>
        statusCode == 429 && QuotaMarkers.Any(marker => reason.Contains(marker, StringComparison.OrdinalIgnoreCase));
}
