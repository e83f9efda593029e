using System.Net;
using System.Text.Json;
using Octokit;

namespace Runner.Core.GitHub;

/// <summary>
/// The one place that classifies GitHub failures: answers of the App client and the pipeline, Octokit's exceptions,
/// and the failures callers can work around (a missing file, a repository the App may not read).
/// </summary>
/// <remarks>
/// 404 and 422 are permanent (the issue is gone, the request is invalid); so are other 4xx such as a 403 for a
/// missing permission. 401 after the pipeline's one refresh, rate limits that reached Octokit, 5xx and network
/// failures are transient.
/// </remarks>
public static class GitHubErrors
{
    private const int MaxMessageLength = 200;

    /// <summary>A failed answer: 4xx cannot be fixed by retrying the same request (limits were handled below); 5xx and 408 can.</summary>
    public static GitHubException ForStatus(string operation, string subject, HttpStatusCode status, string? gitHubMessage,
        string? hint, Exception? inner = null)
    {
        var code = (int)status;
        var text = $"GitHub {operation} for {subject} answered {code} {Reason(status)}"
            + (string.IsNullOrWhiteSpace(gitHubMessage) ? string.Empty : $": {gitHubMessage}")
            + (hint is null ? string.Empty : $" ({hint})");
        return new GitHubException(text, !IsPermanent(status), code, null, inner);
    }

    public static bool IsPermanent(HttpStatusCode status) =>
        (int)status is >= 400 and < 500 && status is not (HttpStatusCode.RequestTimeout or HttpStatusCode.TooManyRequests);

    /// <summary>
    /// What an Octokit call (or the network under it) threw, as a <see cref="GitHubException"/> naming the operation
    /// and repository; <paramref name="exception"/> itself when it already is one, or is not a GitHub failure.
    /// </summary>
    public static Exception FromOctokit(Exception exception, string operation, RepositoryRef repository, TimeProvider timeProvider)
    {
        ArgumentNullException.ThrowIfNull(exception);
        ArgumentNullException.ThrowIfNull(repository);
        ArgumentNullException.ThrowIfNull(timeProvider);
        var subject = repository.FullName;
        var now = timeProvider.GetUtcNow();
        return exception switch
        {
            RateLimitExceededException limit => new GitHubException(
                $"GitHub {operation} for {subject} answered {(int)limit.StatusCode} (primary rate limit exhausted)",
                true, (int)limit.StatusCode, limit.Reset > now ? limit.Reset - now : TimeSpan.FromMinutes(1), limit),
            SecondaryRateLimitExceededException secondary => new GitHubException(
                $"GitHub {operation} for {subject} answered {(int)secondary.StatusCode} (secondary rate limit)",
                true, (int)secondary.StatusCode, GitHubLimits.SecondaryBase, secondary),
            AuthorizationException unauthorized => new GitHubException(
                $"GitHub {operation} for {subject} answered 401 Unauthorized after a token refresh", true, 401, null, unauthorized),
            ApiException api when api.StatusCode == HttpStatusCode.TooManyRequests => new GitHubException(
                $"GitHub {operation} for {subject} answered 429 (rate limited)", true, 429, GitHubLimits.SecondaryBase, api),
            ApiException api => ForStatus(operation, subject, api.StatusCode, api.ApiError?.Message ?? api.Message, null, api),
            HttpRequestException network => new GitHubException(
                $"GitHub {operation} for {subject} failed: {network.Message}", true, null, null, network),
            _ => exception,
        };
    }

    public static bool IsNotFound(Exception exception) => Any(exception, e => e is NotFoundException
        || e is ApiException { StatusCode: HttpStatusCode.NotFound }
        || e is GitHubException { StatusCode: 404 });

    /// <summary>Not found, forbidden (but not rate limited) or rejected: asking again will not help.</summary>
    public static bool IsNoAccess(Exception exception) => Any(exception, e => e switch
    {
        RateLimitExceededException or SecondaryRateLimitExceededException or AbuseException => false,
        NotFoundException or ForbiddenException or ApiValidationException or GitHubException { IsTransient: false } => true,
        ApiException { StatusCode: HttpStatusCode.NotFound or HttpStatusCode.Forbidden or HttpStatusCode.UnprocessableEntity } => true,
        _ => false,
    });

    /// <summary>True for anything a GitHub call can throw that is not a bug or a cancellation.</summary>
    public static bool IsGitHubFailure(Exception exception) => exception is GitHubException or ApiException;

    /// <summary>GitHub's <c>message</c> field, shortened; GitHub does not echo credentials in it.</summary>
    public static string? MessageOf(string body)
    {
        try
        {
            using var json = JsonDocument.Parse(body);
            if (json.RootElement.ValueKind == JsonValueKind.Object
                && json.RootElement.TryGetProperty("message", out var message) && message.ValueKind == JsonValueKind.String)
            {
                var value = message.GetString() ?? string.Empty;
                return value.Length <= MaxMessageLength ? value : value[..MaxMessageLength] + "…";
            }
        }
        catch (JsonException)
        {
        }

        return null;
    }

    private static bool Any(Exception exception, Func<Exception, bool> predicate)
    {
        for (Exception? current = exception; current is not null; current = current.InnerException)
        {
            if (predicate(current))
            {
                return true;
            }
        }

        return false;
    }

    private static string Reason(HttpStatusCode status) => status switch
    {
        HttpStatusCode.Unauthorized => "Unauthorized",
        HttpStatusCode.Forbidden => "Forbidden",
        HttpStatusCode.NotFound => "Not Found",
        HttpStatusCode.UnprocessableEntity => "Unprocessable Entity",
        _ => status.ToString(),
    };
}
