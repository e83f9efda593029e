namespace Runner.Core.GitHub;

/// <summary>Calls GitHub as the App itself (JWT), through the same rate-limit-aware pipeline as every other call.</summary>
/// <remarks>
/// Failures throw <see cref="GitHubException"/>: not transient for 4xx answers, transient for 5xx answers and
/// network errors; messages name the operation, the subject and the status.
/// </remarks>
public interface IGitHubAppClient
{
    /// <summary>The REST base in use, e.g. https://api.github.com/ or https://ghe.example.com/api/v3/.</summary>
    Uri ApiBase { get; }

    /// <summary><c>GET /app</c>.</summary>
    Task<GitHubAppInfo> GetAppAsync(CancellationToken cancellationToken);

    /// <summary><c>GET /app/installations</c>, all pages.</summary>
    Task<IReadOnlyList<GitHubInstallationInfo>> ListInstallationsAsync(CancellationToken cancellationToken);

    /// <summary><c>GET /repos/{owner}/{repo}/installation</c>.</summary>
    Task<long> GetRepositoryInstallationIdAsync(RepositoryRef repository, CancellationToken cancellationToken);
}

/// <param name="Permissions">The App's repository and organization permissions (<c>issues: write</c>, …), from <c>GET /app</c>.</param>
/// <param name="Events">The webhook events the App is subscribed to.</param>
public sealed record GitHubAppInfo(long Id, string Slug, string Name, string? Owner,
    IReadOnlyDictionary<string, string>? Permissions = null, IReadOnlyList<string>? Events = null);

/// <param name="RepositorySelection"><c>all</c> or <c>selected</c>.</param>
public sealed record GitHubInstallationInfo(long Id, string Account, string AccountType, string RepositorySelection, bool Suspended);
