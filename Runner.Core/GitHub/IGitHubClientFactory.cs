using Octokit;

namespace Runner.Core.GitHub;

/// <summary>
/// Hands out Octokit clients authenticated as the App's installation on one repository, with a token
/// down-scoped to that repository and those permissions. Every request of the returned client goes through
/// Runner's GitHub pipeline: rate-limit handling, write spacing, token refresh on 401.
/// </summary>
public interface IGitHubClientFactory
{
    /// <param name="cancellationToken">Also bounds the returned client's lifetime: Octokit's methods take no token, so
    /// cancelling this one (the job's) aborts the client's in-flight requests and rate-limit waits.</param>
    /// <param name="installationId">From the webhook payload's <c>installation.id</c>; when null the
    /// installation is looked up with <c>GET /repos/{owner}/{repo}/installation</c>.</param>
    Task<IGitHubClient> CreateForRepositoryAsync(
        RepositoryRef repository,
        long? installationId,
        GitHubPermissions permissions,
        CancellationToken cancellationToken);
}
