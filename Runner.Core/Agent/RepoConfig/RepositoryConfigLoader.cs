using Microsoft.Extensions.Logging;
using Octokit;
using Runner.Core.GitHub;

namespace Runner.Core.Agent.RepoConfig;

/// <summary>
/// Reads <c>.github/runner.yml</c> from the repository at the commit being answered about, falling back to
/// the same path in the owner's <c>.github</c> repository (the convention GitHub uses for community files).
/// </summary>
internal sealed class RepositoryConfigLoader(IGitHubClientFactory clientFactory, ILogger<RepositoryConfigLoader> logger)
{
    public const string FilePath = ".github/runner.yml";
    public const string OwnerRepositoryName = ".github";

    public async Task<LoadedRepositoryConfig> LoadAsync(
        IGitHubClient client, RepositoryRef repository, string reference, long? installationId, CancellationToken cancellationToken)
    {
        var text = await TryReadAsync(client, repository, reference);
        if (text is not null)
        {
            return Parse(text, repository);
        }

        if (string.Equals(repository.Name, OwnerRepositoryName, StringComparison.OrdinalIgnoreCase))
        {
            return LoadedRepositoryConfig.Defaults;
        }

        var ownerRepository = new RepositoryRef(repository.Owner, OwnerRepositoryName);
        try
        {
            // The owner's .github repository needs its own token: installation tokens are scoped to one repository.
            var ownerClient = await clientFactory.CreateForRepositoryAsync(
                ownerRepository, installationId, GitHubPermissions.ReadOnly, cancellationToken);
            text = await TryReadAsync(ownerClient, ownerRepository, null);
        }
        catch (Exception exception) when (GitHubErrors.IsNoAccess(exception))
        {
            logger.LogDebug("No readable {Repository} for configuration fallback: {Error}", ownerRepository, exception.Message);
        }

        return text is null ? LoadedRepositoryConfig.Defaults : Parse(text, ownerRepository);
    }

    private LoadedRepositoryConfig Parse(string text, RepositoryRef source)
    {
        var (config, problem) = RepositoryConfigParser.Parse(text);
        if (problem is not null)
        {
            logger.LogWarning("Invalid {ConfigFile} in {Repository}, using defaults: {Problem}", FilePath, source, problem);
        }

        return new LoadedRepositoryConfig(config, $"{source.FullName}:{FilePath}", problem);
    }

    /// <returns>The file's text, or null when the repository has no such file.</returns>
    private static async Task<string?> TryReadAsync(IGitHubClient client, RepositoryRef repository, string? reference)
    {
        try
        {
            var contents = reference is null
                ? await client.Repository.Content.GetAllContents(repository.Owner, repository.Name, FilePath)
                : await client.Repository.Content.GetAllContentsByRef(repository.Owner, repository.Name, FilePath, reference);
            return contents.FirstOrDefault(c => c.Type.Value == ContentType.File)?.Content;
        }
        catch (Exception exception) when (GitHubErrors.IsNotFound(exception))
        {
            return null;
        }
    }
}
