using System.Net;
using Octokit;
using Runner.Core.Queue;

namespace Runner.Core.GitHub;

/// <summary>
/// Turns what an Octokit call throws into the queue's job exceptions, with a message that names the operation,
/// the repository and GitHub's status. Handlers wrap their GitHub calls with <see cref="RunAsync{T}"/>, or map a
/// caught exception with <see cref="ToJobException"/>.
/// </summary>
/// <remarks>
/// 404 and 422 are permanent (the issue is gone, the request is invalid); so are other 4xx such as a 403 for a
/// missing permission. 401 after the pipeline's one refresh, rate limits that reached Octokit, 5xx and network
/// failures are transient. Exceptions that already are job exceptions (the pipeline's long rate-limit waits)
/// pass through unchanged, as does cancellation.
/// </remarks>
public static class GitHubJobErrors
{
    public static async Task<T> RunAsync<T>(string operation, RepositoryRef repository, Func<Task<T>> call)
    {
        try
        {
            return await call();
        }
        catch (Exception exception) when (ToJobException(exception, operation, repository) is var mapped && !ReferenceEquals(mapped, exception))
        {
            throw mapped;
        }
    }

    public static async Task RunAsync(string operation, RepositoryRef repository, Func<Task> call) =>
        await RunAsync<bool>(operation, repository, async () =>
        {
            await call();
            return true;
        });

    /// <returns>A <see cref="PermanentJobException"/> or <see cref="TransientJobException"/>, or <paramref name="exception"/>
    /// itself when it already is one or is a cancellation.</returns>
    public static Exception ToJobException(Exception exception, string operation, RepositoryRef repository,
        TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(exception);
        ArgumentNullException.ThrowIfNull(repository);
        var subject = repository.FullName;
        var now = (timeProvider ?? TimeProvider.System).GetUtcNow();
        return exception switch
        {
            TransientJobException or PermanentJobException or OperationCanceledException => exception,
            RateLimitExceededException limit => new TransientJobException(
                $"GitHub {operation} for {subject} answered {(int)limit.StatusCode} (primary rate limit exhausted)",
                limit.Reset > now ? limit.Reset - now : TimeSpan.FromMinutes(1), limit),
            SecondaryRateLimitExceededException secondary => new TransientJobException(
                $"GitHub {operation} for {subject} answered {(int)secondary.StatusCode} (secondary rate limit)",
                GitHubLimits.SecondaryBase, secondary),
            AuthorizationException unauthorized => new TransientJobException(
                $"GitHub {operation} for {subject} answered 401 Unauthorized after a token refresh", null, unauthorized),
            ApiException api when api.StatusCode == HttpStatusCode.TooManyRequests => new TransientJobException(
                $"GitHub {operation} for {subject} answered 429 (rate limited)", GitHubLimits.SecondaryBase, api),
            ApiException api => GitHubFailures.ForStatus(operation, subject, api.StatusCode, api.ApiError?.Message ?? api.Message, null, api),
            HttpRequestException network => new TransientJobException(
                $"GitHub {operation} for {subject} failed: {network.Message}", null, network),
            _ => exception,
        };
    }
}
