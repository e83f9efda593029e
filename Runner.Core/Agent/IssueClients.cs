using Octokit;
using Runner.Core.Agent.Webhooks;
using Runner.Core.GitHub;

namespace Runner.Core.Agent;

/// <summary>The client a run acts through: the event's installation, down-scoped to what the agent needs on issues.</summary>
internal static class IssueClients
{
    public static Task<IGitHubClient> CreateAsync(IGitHubClientFactory factory, IssueWebhook webhook, CancellationToken cancellationToken) =>
        factory.CreateForRepositoryAsync(webhook.Repository, webhook.InstallationId, GitHubPermissions.IssueWriter, cancellationToken);
}
