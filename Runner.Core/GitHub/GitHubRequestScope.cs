using System.Globalization;

namespace Runner.Core.GitHub;

/// <summary>
/// Whose limits a request counts against: the App itself (JWT calls) or one installation. Rate-limit waits are
/// shared by every request of a scope; content-creating requests are serialized per installation.
/// </summary>
/// <param name="Key">The limit-state key.</param>
/// <param name="InstallationId">Set for installation-token requests; null for App (JWT) requests.</param>
/// <param name="Subject">What error messages name: the repository, or "the App".</param>
internal sealed record GitHubRequestScope(string Key, long? InstallationId, string Subject)
{
    public static GitHubRequestScope App { get; } = new("app", null, "the App");

    public static GitHubRequestScope ForInstallation(long installationId, RepositoryRef repository) =>
        new("installation:" + installationId.ToString(CultureInfo.InvariantCulture), installationId, repository.FullName);
}
