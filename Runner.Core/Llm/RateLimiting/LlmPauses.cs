namespace Runner.Core.Llm.RateLimiting;

/// <summary>Why the client waits before sending.</summary>
internal enum LlmPauseKind
{
    /// <summary>Exponential backoff with jitter after a failed attempt.</summary>
    Backoff,

    /// <summary>The server's Retry-After (or retry-after-ms) after a failed attempt.</summary>
    RetryAfter,

    /// <summary>Another replica (or this one) got a 429 with Retry-After: nobody calls until then.</summary>
    FleetPause,

    /// <summary>The shared token bucket (<c>LLM_RATE</c>/<c>LLM_BURST</c>) is empty.</summary>
    TokenBucket,

    /// <summary>Minimum spacing plus jitter between two requests of this process (<c>LLM_MIN_INTERVAL</c>).</summary>
    Spacing,
}

/// <summary>
/// Every wait of the LLM client goes through here, on the injected <see cref="TimeProvider"/>. Tests subscribe to
/// <see cref="Scheduled"/> to see each delay the client chose and to move a fake clock past it.
/// </summary>
internal sealed class LlmPauses(TimeProvider time)
{
    /// <summary>Raised after the delay's timer exists and before the client awaits it.</summary>
    public event Action<LlmPauseKind, TimeSpan>? Scheduled;

    public async Task WaitAsync(LlmPauseKind kind, TimeSpan delay, CancellationToken cancellationToken)
    {
        if (delay <= TimeSpan.Zero)
        {
            return;
        }

        var wait = Task.Delay(delay, time, cancellationToken);
        Scheduled?.Invoke(kind, delay);
        await wait;
    }
}
