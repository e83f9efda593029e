using System.Collections.Concurrent;
using Octokit;
using Runner.Core.GitHub;
using Runner.Core.Queue;

namespace Runner.Tests.Agent.Support;

/// <summary>Stands in for the GitHub App client factory: plain Octokit clients pointed at the loopback stand-in.</summary>
internal sealed class TestGitHubClientFactory(Uri baseAddress) : IGitHubClientFactory
{
    public ConcurrentQueue<(RepositoryRef Repository, long? InstallationId, GitHubPermissions Permissions)> Requests { get; } = new();

    /// <summary>Repositories the installation cannot reach: the factory fails for them as the real one would.</summary>
    public HashSet<string> Unreachable { get; } = new(StringComparer.OrdinalIgnoreCase);

    public Task<IGitHubClient> CreateForRepositoryAsync(
        RepositoryRef repository, long? installationId, GitHubPermissions permissions, CancellationToken cancellationToken)
    {
        Requests.Enqueue((repository, installationId, permissions));
        if (Unreachable.Contains(repository.FullName))
        {
            throw new GitHubException($"The App's installation cannot access {repository.FullName}", isTransient: false, 422);
        }
        IGitHubClient client = new GitHubClient(new ProductHeaderValue("runner-tests"), baseAddress)
        {
            Credentials = new Credentials("test-token"),
        };
        return Task.FromResult(client);
    }
}
