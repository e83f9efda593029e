namespace Runner.Core.GitHub;

/// <summary>An installation token as GitHub issued it. Opaque: any length, any characters GitHub chooses.</summary>
/// <remarks>Not a record: a generated ToString would print the token into any log line that formats it.</remarks>
internal sealed class InstallationAccessToken(string token, DateTimeOffset expiresAt)
{
    public string Token { get; } = token;

    public DateTimeOffset ExpiresAt { get; } = expiresAt;

    public override string ToString() => $"installation token expiring {ExpiresAt:O}";
}

/// <summary>What a token is cached by: GitHub scopes each token to an installation, repositories and permissions.</summary>
internal sealed record InstallationTokenKey(long InstallationId, string Repository, string Permissions)
{
    public static InstallationTokenKey For(long installationId, RepositoryRef repository, GitHubPermissions permissions) =>
        new(installationId, repository.FullName.ToLowerInvariant(), permissions.Key);
}
