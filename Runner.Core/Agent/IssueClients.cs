using Octokit;
using Runner.Core.Agent.Webhooks;
using Runner.Core.GitHub;

namespace Runner.Core.Agent;

/// <summary>The client a run acts through: the event's installation, down-scoped to what the task needs on that one repository.</summary>
internal static class IssueClients
{
    public static Task<IGitHubClient> CreateAsync(IGitHubClientFactory factory, IssueWebhook webhook, CancellationToken cancellationToken) =>
        CreateAsync(factory, webhook, GitHubPermissions.IssueWriter, cancellationToken);

    /// <param name="permissions">The task's own scope: <see cref="GitHubPermissions.Reviewer"/> for a review, <see cref="GitHubPermissions.Fixer"/> for a fix.</param>
    public static Task<IGitHubClient> CreateAsync(IGitHubClientFactory factory, IssueWebhook webhook, GitHubPermissions permissions, CancellationToken cancellationToken) =>
        factory.CreateForRepositoryAsync(webhook.Repository, webhook.InstallationId, permissions, cancellationToken);
}
