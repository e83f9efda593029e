using Microsoft.Extensions.Logging;
using Octokit;
using Octokit.Internal;

namespace Runner.Core.GitHub;

/// <summary>
/// Octokit clients for one repository, authenticated with a down-scoped installation token. Octokit's
/// <see cref="Connection"/> is built here (not through GitHubClient's Uri constructor) so that its HTTP goes
/// through <see cref="GitHubRateLimitHandler"/> and uses the same REST base as Runner's own calls.
/// </summary>
internal sealed class GitHubClientFactory(
    GitHubHttp http,
    GitHubAppClient app,
    InstallationTokenProvider tokens,
    ILogger<GitHubClientFactory> logger) : IGitHubClientFactory
{
    private static readonly ICredentialStore NoCredentials = new InMemoryCredentialStore(Credentials.Anonymous);

    private readonly SingleFlightCache<string, long> installations = new();

    public async Task<IGitHubClient> CreateForRepositoryAsync(RepositoryRef repository, long? installationId,
        GitHubPermissions permissions, CancellationToken cancellationToken)
    {
        var id = installationId ?? await LookUpInstallationAsync(repository, cancellationToken);
        try
        {
            // Fetching the token now surfaces "not installed" or "permission not granted" here, with a clear message.
            await tokens.GetAsync(id, repository, permissions, cancellationToken);
        }
        catch (GitHubException failure) when (!failure.IsTransient && installationId is null)
        {
            // The App may have been reinstalled under a new id: look it up again next time.
            installations.Remove(Key(repository), cached => cached == id);
            throw;
        }

        var credential = new InstallationTokenCredential(tokens, id, repository, permissions);
        var handler = http.CreatePipeline(GitHubRequestScope.ForInstallation(id, repository), credential, cancellationToken);

        // Authorization is set by the pipeline on every attempt (and refreshed after a 401), so Octokit sends none.
        var connection = new Connection(new ProductHeaderValue(GitHubHttp.Product), http.ApiBase, NoCredentials,
            new HttpClientAdapter(() => handler), new SimpleJsonSerializer());

        // Rate-limit waits happen inside the pipeline; HttpClient's default 100 s would cut them short.
        connection.SetRequestTimeout(Timeout.InfiniteTimeSpan);
        return new GitHubClient(connection);
    }

    private static string Key(RepositoryRef repository) => repository.FullName.ToLowerInvariant();

    private Task<long> LookUpInstallationAsync(RepositoryRef repository, CancellationToken cancellationToken) =>
        installations.GetAsync(
            Key(repository),
            _ => true,
            async () =>
            {
                var id = await app.GetRepositoryInstallationIdAsync(repository, CancellationToken.None);
                logger.LogInformation("{Repository} belongs to installation {InstallationId}", repository.FullName, id);
                return id;
            },
            cancellationToken);
}
