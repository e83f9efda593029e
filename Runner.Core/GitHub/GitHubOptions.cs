using Microsoft.Extensions.Configuration;

namespace Runner.Core.GitHub;

/// <summary>
/// The GitHub App Runner acts as, and where its API lives. Bound from environment variables; checked at start
/// by <see cref="GitHubOptionsValidator"/>.
/// </summary>
public sealed class GitHubOptions
{
    public const string AppIdVariable = "GITHUB_APP_ID";
    public const string ClientIdVariable = "GITHUB_CLIENT_ID";
    public const string PrivateKeyVariable = "GITHUB_APP_PRIVATE_KEY";
    public const string PrivateKeyPathVariable = "GITHUB_APP_PRIVATE_KEY_PATH";
    public const string ApiUrlVariable = "GITHUB_API_URL";
    public const string WriteIntervalVariable = "GITHUB_WRITE_INTERVAL";
    public const string MaxWaitVariable = "GITHUB_MAX_WAIT";
    public const string DefaultApiUrl = "https://api.github.com";
    public static readonly TimeSpan DefaultWriteInterval = TimeSpan.FromSeconds(1);
    public static readonly TimeSpan DefaultMaxWait = TimeSpan.FromMinutes(2);

    [ConfigurationKeyName(AppIdVariable)]
    public string? AppId { get; set; }

    /// <summary>GitHub recommends the client id as the JWT issuer; the numeric app id still works.</summary>
    [ConfigurationKeyName(ClientIdVariable)]
    public string? ClientId { get; set; }

    [ConfigurationKeyName(PrivateKeyVariable)]
    public string? PrivateKey { get; set; }

    [ConfigurationKeyName(PrivateKeyPathVariable)]
    public string? PrivateKeyPath { get; set; }

    [ConfigurationKeyName(ApiUrlVariable)]
    public string? ApiUrl { get; set; } = DefaultApiUrl;

    /// <summary><c>GITHUB_WRITE_INTERVAL</c>: the gap between two content-creating requests of one installation.</summary>
    public TimeSpan WriteInterval { get; set; } = DefaultWriteInterval;

    /// <summary><c>GITHUB_MAX_WAIT</c>: the longest rate-limit wait slept in a worker slot; longer waits requeue the job.</summary>
    public TimeSpan MaxWait { get; set; } = DefaultMaxWait;

    /// <summary>The JWT <c>iss</c> claim: the client id when set, else the app id.</summary>
    public string Issuer => string.IsNullOrWhiteSpace(ClientId) ? (AppId ?? string.Empty).Trim() : ClientId.Trim();
}
