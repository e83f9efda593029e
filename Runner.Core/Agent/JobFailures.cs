using Runner.Core.GitHub;
using Runner.Core.Llm;
using Runner.Core.Queue;

namespace Runner.Core.Agent;

/// <summary>
/// The handler boundary: the only place where what the GitHub and LLM clients throw becomes a job outcome for the
/// queue. Transient failures are retried (after their Retry-After when they have one), the rest are dead-lettered.
/// </summary>
internal static class JobFailures
{
    /// <returns>
    /// A <see cref="TransientJobException"/> or <see cref="PermanentJobException"/> wrapping <paramref name="exception"/>,
    /// or <paramref name="exception"/> itself when it already is one, is a cancellation, or is none of the clients'
    /// failures (the queue treats those as transient).
    /// </returns>
    public static Exception ToJobException(Exception exception, string operation, RepositoryRef repository, TimeProvider timeProvider) =>
        GitHubErrors.FromOctokit(exception, operation, repository, timeProvider) switch
        {
            GitHubException { IsTransient: true } github => new TransientJobException(github.Message, github.RetryAfter, github),
            GitHubException github => new PermanentJobException(github.Message, github),
            LlmException { IsTransient: true } llm => new TransientJobException(llm.Message, llm.RetryAfter, llm),
            LlmException llm => new PermanentJobException(llm.Message, llm),
            var other => other,
        };
}
