namespace Runner.Core.GitHub;

/// <summary>What the GitHub pipeline puts in the Authorization header: the App JWT or an installation token.</summary>
internal interface IGitHubCredential
{
    /// <summary>The current value; cached by the implementation, so cheap to call per attempt.</summary>
    ValueTask<string> GetAsync(CancellationToken cancellationToken);

    /// <summary>GitHub answered 401 to <paramref name="value"/>: drop it so the next call fetches a fresh one.</summary>
    void Reject(string value);
}

internal sealed class AppJwtCredential(AppJwtSigner signer) : IGitHubCredential
{
    public ValueTask<string> GetAsync(CancellationToken cancellationToken) => ValueTask.FromResult(signer.GetJwt());

    public void Reject(string value) => signer.Reject(value);
}

internal sealed class InstallationTokenCredential(
    InstallationTokenProvider tokens,
    long installationId,
    RepositoryRef repository,
    GitHubPermissions permissions) : IGitHubCredential
{
    public async ValueTask<string> GetAsync(CancellationToken cancellationToken) =>
        (await tokens.GetAsync(installationId, repository, permissions, cancellationToken)).Token;

    public void Reject(string value) => tokens.Reject(installationId, repository, permissions, value);
}
