using System.Globalization;
using System.Net;

namespace Runner.Core.GitHub;

internal enum GitHubLimitKind
{
    /// <summary>GitHub sent <c>retry-after</c>.</summary>
    RetryAfter,

    /// <summary>The primary (hourly) limit: <c>x-ratelimit-remaining: 0</c> until <c>x-ratelimit-reset</c>.</summary>
    Primary,

    /// <summary>A secondary limit without timing headers: back off a minute, doubling.</summary>
    Secondary,
}

internal sealed record GitHubLimitHit(GitHubLimitKind Kind, TimeSpan Wait);

/// <summary>Reads GitHub's rate-limit signals, in the order GitHub documents for "exceeding the rate limit".</summary>
internal static class GitHubLimits
{
    public static readonly TimeSpan SecondaryBase = TimeSpan.FromSeconds(60);

    /// <summary><c>x-ratelimit-reset</c> has whole seconds; waiting one more avoids arriving a moment early.</summary>
    public static readonly TimeSpan ResetMargin = TimeSpan.FromSeconds(1);

    private const int MaxDoublings = 6;

    /// <summary>
    /// A 429, or a 403 that carries <c>retry-after</c>, <c>x-ratelimit-remaining: 0</c> or a rate-limit message. Any
    /// other 403 (a missing permission) is not a limit and is left to the caller.
    /// </summary>
    public static async Task<bool> IsLimitedAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        if (response.StatusCode == HttpStatusCode.TooManyRequests)
        {
            return true;
        }

        if (response.StatusCode != HttpStatusCode.Forbidden)
        {
            return false;
        }

        if (response.Headers.RetryAfter is not null || Remaining(response) == 0)
        {
            return true;
        }

        // Reading buffers the content, so Octokit can still read the body afterwards.
        var body = await response.Content.ReadAsStringAsync(cancellationToken);
        return body.Contains("rate limit", StringComparison.OrdinalIgnoreCase)
            || body.Contains("abuse", StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>How long to wait after a limited response: retry-after, else the primary reset, else the secondary backoff.</summary>
    /// <param name="nextSecondaryStrike">Counts a secondary hit and returns how many preceded it.</param>
    public static GitHubLimitHit Classify(HttpResponseMessage response, DateTimeOffset now, Func<int> nextSecondaryStrike)
    {
        if (RetryAfter(response, now) is { } retryAfter)
        {
            return new GitHubLimitHit(GitHubLimitKind.RetryAfter, retryAfter);
        }

        if (Remaining(response) == 0 && Reset(response) is { } reset)
        {
            return new GitHubLimitHit(GitHubLimitKind.Primary, UntilReset(reset, now));
        }

        var previous = Math.Min(nextSecondaryStrike(), MaxDoublings);
        return new GitHubLimitHit(GitHubLimitKind.Secondary, SecondaryBase * (1L << previous));
    }

    public static TimeSpan UntilReset(DateTimeOffset reset, DateTimeOffset now) =>
        (reset > now ? reset - now : TimeSpan.Zero) + ResetMargin;

    public static long? Remaining(HttpResponseMessage response) => LongHeader(response, "x-ratelimit-remaining");

    public static DateTimeOffset? Reset(HttpResponseMessage response) =>
        LongHeader(response, "x-ratelimit-reset") is { } seconds ? DateTimeOffset.FromUnixTimeSeconds(seconds) : null;

    public static string? Resource(HttpResponseMessage response) =>
        response.Headers.TryGetValues("x-ratelimit-resource", out var values) ? values.FirstOrDefault() : null;

    private static TimeSpan? RetryAfter(HttpResponseMessage response, DateTimeOffset now)
    {
        var header = response.Headers.RetryAfter;
        if (header?.Delta is { } delta)
        {
            return delta > TimeSpan.Zero ? delta : TimeSpan.Zero;
        }

        return header?.Date is { } date ? (date > now ? date - now : TimeSpan.Zero) : null;
    }

    private static long? LongHeader(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values)
        && long.TryParse(values.FirstOrDefault(), NumberStyles.None, CultureInfo.InvariantCulture, out var value)
            ? value
            : null;
}
