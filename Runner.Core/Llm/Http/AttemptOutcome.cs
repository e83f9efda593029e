using Runner.Core.Llm.Wire;

namespace Runner.Core.Llm.Http;

internal enum AttemptFailureKind
{
    /// <summary>The server answered with a non-2xx status.</summary>
    Status,

    /// <summary>Nothing arrived for <c>LLM_TIMEOUT</c> (before the first byte or between chunks).</summary>
    Timeout,

    /// <summary>No answer: connection refused, reset, DNS, TLS.</summary>
    Network,

    /// <summary>The stream broke off, carried an error event, or was malformed.</summary>
    StreamCut,
}

/// <summary>Why one attempt failed. <see cref="Description"/> is what logs and the final exception show.</summary>
internal sealed record AttemptFailure(
    AttemptFailureKind Kind,
    string Description,
    int? StatusCode = null,
    string Reason = "",
    TimeSpan? RetryAfter = null,
    Exception? Exception = null);

/// <summary>One attempt's result: the assembled answer, or the failure.</summary>
internal sealed record AttemptOutcome(StreamedAnswer? Answer, AttemptFailure? Failure)
{
    public static AttemptOutcome Success(StreamedAnswer answer) => new(answer, null);

    public static AttemptOutcome Failed(AttemptFailure failure) => new(null, failure);
}
