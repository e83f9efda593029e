using Microsoft.Extensions.Logging;
using Octokit;
using Runner.Core.Agent.Comments;
using Runner.Core.Agent.Webhooks;
using Runner.Core.GitHub;

namespace Runner.Core.Agent.Commands;

/// <summary>
/// Who may run <c>/runner</c> commands (collaborators with write, maintain or admin permission), and the one polite
/// refusal everyone else gets per issue.
/// </summary>
internal static class CommandAuthorization
{
    public static async Task<bool> MayCommandAsync(IGitHubClient client, RepositoryRef repository, string login)
    {
        try
        {
            // "permission" folds maintain into write and triage into read; "role_name" names the exact role.
            var permission = await client.Repository.Collaborator.ReviewPermission(repository.Owner, repository.Name, login);
            return permission.Permission is "admin" or "maintain" or "write"
                || permission.RoleName is "admin" or "maintain" or "write";
        }
        catch (Exception exception) when (GitHubErrors.IsNotFound(exception))
        {
            return false;
        }
    }

    public const string RefusalTaskName = "refusal";

    public static async Task RefuseOnceAsync(IGitHubClient client, string delivery, IssueWebhook webhook, string login, string footer, ILogger logger)
    {
        if (await StickyComments.FindAsync(client, webhook.Repository, webhook.Issue.Number, RefusalTaskName) is not null)
        {
            logger.LogInformation("Ignoring command from {User} on {Repository}#{Number}: no write access, already told once",
                login, webhook.Repository, webhook.Issue.Number);
            return;
        }

        logger.LogInformation("Refusing command from {User} on {Repository}#{Number}: no write access", login, webhook.Repository, webhook.Issue.Number);
        await StickyComments.UpsertAsync(client, webhook.Repository, webhook.Issue.Number, RefusalTaskName, delivery,
            Notices.Refusal(login) + footer);
    }
}
