using Octokit;
using Runner.Core.GitHub;

namespace Runner.Core.Agent.Commands;

/// <summary>Who may run <c>/runner</c> commands: collaborators with write, maintain or admin permission.</summary>
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
}
