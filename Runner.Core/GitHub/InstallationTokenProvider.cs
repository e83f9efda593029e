namespace Runner.Core.GitHub;

/// <summary>
/// Installation tokens down-scoped to one repository and a permission set, cached until 5 minutes before
/// GitHub's <c>expires_at</c>, fetched once however many jobs ask at the same time.
/// </summary>
internal sealed class InstallationTokenProvider(GitHubAppClient app, TimeProvider timeProvider)
{
    /// <summary>Handed out no later than this before expiry, so a request that waits a little still carries a valid token.</summary>
    public static readonly TimeSpan RefreshBefore = TimeSpan.FromMinutes(5);

    private readonly SingleFlightCache<InstallationTokenKey, InstallationAccessToken> cache = new();

    public Task<InstallationAccessToken> GetAsync(long installationId, RepositoryRef repository, GitHubPermissions permissions,
        CancellationToken cancellationToken) =>
        cache.GetAsync(
            InstallationTokenKey.For(installationId, repository, permissions),
            token => timeProvider.GetUtcNow() < token.ExpiresAt - RefreshBefore,
            () => app.CreateInstallationTokenAsync(installationId, repository, permissions, CancellationToken.None),
            cancellationToken);

    /// <summary>GitHub rejected <paramref name="token"/> (401): the next caller gets a fresh one.</summary>
    public void Reject(long installationId, RepositoryRef repository, GitHubPermissions permissions, string token) =>
        cache.Remove(InstallationTokenKey.For(installationId, repository, permissions),
            cached => string.Equals(cached.Token, token, StringComparison.Ordinal));
}
