using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Runner.Core.Diagnostics;
using Runner.Core.Llm.Http;
using Runner.Core.Llm.RateLimiting;
using Runner.Core.Llm.Retries;
using Runner.Core.Llm.Wire;

namespace Runner.Core.Llm;

/// <summary>
/// The hand-written chat client: streams each attempt under a silence timeout, retries what is worth retrying
/// with exponential backoff and jitter (or the server's Retry-After), waits its turn with the rate limiter, and
/// ends in one exception the queue can classify.
/// </summary>
internal sealed class LlmClient : ILlmClient
{
    public const string HttpClientName = "runner-llm";

    private readonly IHttpClientFactory httpClients;
    private readonly LlmOptions options;
    private readonly LlmEndpoint endpoint;
    private readonly IWireFormat wire;
    private readonly ChatAttempt attempt;
    private readonly TimeProvider time;
    private readonly RunnerMetrics metrics;
    private readonly LlmRateLimiter limiter;
    private readonly LlmPauses pauses;
    private readonly ILogger<LlmClient> logger;
    private readonly string chatUrl;
    private readonly Random random;

    public LlmClient(
        IHttpClientFactory httpClients,
        IOptions<LlmOptions> options,
        TimeProvider time,
        RunnerMetrics metrics,
        LlmRateLimiter limiter,
        LlmPauses pauses,
        Random random,
        ILogger<LlmClient> logger)
    {
        this.random = random;
        this.httpClients = httpClients;
        this.options = options.Value;
        this.time = time;
        this.metrics = metrics;
        this.limiter = limiter;
        this.pauses = pauses;
        this.logger = logger;
        endpoint = LlmEndpoint.Create(this.options);
        wire = WireFormats.For(endpoint.Format);
        attempt = new ChatAttempt(endpoint, wire, time, this.options.Timeout);
        chatUrl = LlmEndpoint.Display(endpoint.ChatUri);
    }

    public string Model => options.Model;

    public async Task<ChatResult> ChatAsync(ChatRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.Messages.Count == 0)
        {
            throw new ArgumentException("A chat request needs at least one message", nameof(request));
        }

        var body = wire.SerializeRequest(request, options.Model, request.Temperature ?? options.Temperature);
        var started = time.GetTimestamp();
        var deadlineAt = time.GetUtcNow() + options.MaxDuration;
        using var deadline = new CancellationTokenSource(options.MaxDuration, time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, deadline.Token);
        AttemptFailure? last = null;
        var attemptNumber = 0;
        try
        {
            for (attemptNumber = 1; ; attemptNumber++)
            {
                await limiter.WaitForTurnAsync(linked.Token);
                var attemptStarted = time.GetTimestamp();
                var outcome = await attempt.RunAsync(httpClients.CreateClient(HttpClientName), options.ApiKey, body, linked.Token);
                var duration = time.GetElapsedTime(attemptStarted);
                metrics.LlmAttempts.Add(1, Tag("model", options.Model), Tag("outcome", OutcomeTag(outcome.Failure)));
                if (outcome.Answer is { } answer)
                {
                    return Succeeded(answer, attemptNumber, duration, time.GetElapsedTime(started));
                }

                last = Redact(outcome.Failure!);
                var delay = await DecideRetryAsync(last, attemptNumber, duration, deadlineAt);
                metrics.LlmRetries.Add(1, Tag("model", options.Model));
                await pauses.WaitAsync(last.RetryAfter is null ? LlmPauseKind.Backoff : LlmPauseKind.RetryAfter, delay, linked.Token);
            }
        }
        catch (OperationCanceledException exception) when (deadline.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            var what = last is null ? string.Empty : $"; last {last.Description}";
            throw new LlmTransientException(LlmFailureKind.MaxDurationExceeded,
                $"Failed to call LLM API after {Math.Max(attemptNumber, 1)} attempts: {LlmOptions.MaxDurationVariable} ({options.MaxDuration}) reached{what}",
                attemptNumber, last?.StatusCode, innerException: exception);
        }
    }

    /// <summary>Logs the failed attempt and returns the delay before the next one, or throws when there is none.</summary>
    private async Task<TimeSpan> DecideRetryAsync(AttemptFailure failure, int attemptNumber, TimeSpan duration, DateTimeOffset deadlineAt)
    {
        var max = options.MaxAttempts;
        if (failure.StatusCode == 429)
        {
            metrics.LlmRateLimited.Add(1, Tag("model", options.Model));
        }

        if (failure.StatusCode is { } status && !RetryPolicy.IsRetryable(status))
        {
            var permanent = Permanent(status, failure);
            LogAttempt(LogLevel.Error, attemptNumber, failure, duration, null, status == 401 ? "not retried: check OLLAMA_API_KEY" : "not retried");
            throw permanent;
        }

        if (failure.StatusCode is { } quotaStatus && RetryPolicy.IsQuotaExhausted(quotaStatus, failure.Reason))
        {
            LogAttempt(LogLevel.Error, attemptNumber, failure, duration, null, "usage limit reached: not retried, the job goes back to the queue");
            if (failure.RetryAfter is { } quotaWait)
            {
                await limiter.PauseFleetAsync(quotaWait);
            }

            throw new LlmTransientException(LlmFailureKind.QuotaExceeded,
                $"LLM usage limit reached for model '{options.Model}' ({failure.Description}): not retried until the limit resets",
                attemptNumber, quotaStatus, failure.RetryAfter, failure.Exception);
        }

        if (failure.RetryAfter is { } retryAfter && failure.StatusCode == 429)
        {
            await limiter.PauseFleetAsync(retryAfter);
        }

        if (failure.RetryAfter is { } tooLong && tooLong > RetryPolicy.MaxRetryAfter)
        {
            var seconds = (int)Math.Ceiling(tooLong.TotalSeconds);
            LogAttempt(LogLevel.Warning, attemptNumber, failure, duration, null, $"rate limited for {seconds} s: the job goes back to the queue");
            throw new LlmTransientException(LlmFailureKind.RateLimited,
                $"LLM API rate limited for {seconds} s ({failure.Description})", attemptNumber, failure.StatusCode, tooLong, failure.Exception);
        }

        if (attemptNumber >= max)
        {
            LogAttempt(LogLevel.Error, attemptNumber, failure, duration, null, "giving up");
            throw new LlmTransientException(LlmFailureKind.RetriesExhausted,
                $"Failed to call LLM API after {attemptNumber} attempts: last {failure.Description}",
                attemptNumber, failure.StatusCode, failure.RetryAfter, failure.Exception);
        }

        var delay = failure.RetryAfter ?? RetryPolicy.Backoff(attemptNumber, random.NextDouble());
        if (time.GetUtcNow() + delay >= deadlineAt)
        {
            LogAttempt(LogLevel.Error, attemptNumber, failure, duration, null,
                $"giving up: a {(long)delay.TotalMilliseconds} ms wait would pass {LlmOptions.MaxDurationVariable}");
            throw new LlmTransientException(LlmFailureKind.MaxDurationExceeded,
                $"Failed to call LLM API after {attemptNumber} attempts: {LlmOptions.MaxDurationVariable} ({options.MaxDuration}) leaves no time for another; last {failure.Description}",
                attemptNumber, failure.StatusCode, failure.RetryAfter, failure.Exception);
        }

        LogAttempt(LogLevel.Warning, attemptNumber, failure, duration, delay, "retrying");
        return delay;
    }

    private ChatResult Succeeded(StreamedAnswer answer, int attemptNumber, TimeSpan duration, TimeSpan total)
    {
        logger.LogInformation(
            "LLM attempt {Attempt}/{MaxAttempts} model {Model}: {Outcome} in {DurationMs} ms, {PromptTokens}+{CompletionTokens} tokens, {ToolCalls} tool call(s)",
            attemptNumber, options.MaxAttempts, options.Model, "ok", (long)duration.TotalMilliseconds,
            answer.Usage.PromptTokens, answer.Usage.CompletionTokens, answer.ToolCalls.Count);
        metrics.LlmTokens.Add(answer.Usage.PromptTokens, Tag("model", options.Model), Tag("kind", "prompt"));
        metrics.LlmTokens.Add(answer.Usage.CompletionTokens, Tag("model", options.Model), Tag("kind", "completion"));
        return new ChatResult(answer.Content, answer.ToolCalls, answer.Usage, answer.Model ?? options.Model, total);
    }

    private LlmPermanentException Permanent(int status, AttemptFailure failure) => status switch
    {
        401 => new LlmPermanentException(LlmFailureKind.Unauthorized,
            $"LLM API at {chatUrl} refused the API key ({failure.Description}): check OLLAMA_API_KEY", status, failure.Exception),
        403 => new LlmPermanentException(LlmFailureKind.Forbidden,
            $"LLM API at {chatUrl} does not allow model '{options.Model}' for this key ({failure.Description}): check OLLAMA_API_KEY and the plan",
            status, failure.Exception),
        404 => new LlmPermanentException(LlmFailureKind.ModelNotFound,
            $"LLM model '{options.Model}' not found at {chatUrl} ({failure.Description}): check OLLAMA_MODEL and OLLAMA_API_URL; "
            + "run `runner llm models` to list the models this server offers", status, failure.Exception),
        _ => new LlmPermanentException(LlmFailureKind.Rejected,
            $"LLM API at {chatUrl} rejected the request for model '{options.Model}' ({failure.Description})", status, failure.Exception),
    };

    private void LogAttempt(LogLevel level, int attemptNumber, AttemptFailure failure, TimeSpan duration, TimeSpan? delay, string decision)
    {
        if (delay is { } chosen)
        {
            logger.Log(level,
                "LLM attempt {Attempt}/{MaxAttempts} model {Model}: {Outcome} after {DurationMs} ms; {Decision} in {DelayMs} ms",
                attemptNumber, options.MaxAttempts, options.Model, failure.Description, (long)duration.TotalMilliseconds, decision,
                (long)chosen.TotalMilliseconds);
            return;
        }

        logger.Log(level, "LLM attempt {Attempt}/{MaxAttempts} model {Model}: {Outcome} after {DurationMs} ms; {Decision}",
            attemptNumber, options.MaxAttempts, options.Model, failure.Description, (long)duration.TotalMilliseconds, decision);
    }

    /// <summary>Servers sometimes echo request headers in error texts: the key never leaves this class.</summary>
    private AttemptFailure Redact(AttemptFailure failure) =>
        options.ApiKey.Length >= 4 && failure.Description.Contains(options.ApiKey, StringComparison.Ordinal)
            ? failure with
            {
                Description = failure.Description.Replace(options.ApiKey, "***", StringComparison.Ordinal),
                Reason = failure.Reason.Replace(options.ApiKey, "***", StringComparison.Ordinal),
            }
            : failure;

    private static string OutcomeTag(AttemptFailure? failure) => failure switch
    {
        null => "ok",
        { StatusCode: { } status } => status.ToString(System.Globalization.CultureInfo.InvariantCulture),
        _ => failure.Kind.ToString().ToLowerInvariant(),
    };

    private static KeyValuePair<string, object?> Tag(string key, object? value) => new(key, value);
}
