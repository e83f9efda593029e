using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;

namespace Runner.Core.GitHub;

/// <summary>
/// Runner's own REST calls as the App (JWT): app info, installations, the repository's installation, and the
/// token exchange. Octokit 14's CreateInstallationToken sends no body, so it cannot down-scope a token; this
/// client sends <c>repositories</c> and <c>permissions</c> itself and hands the token to Octokit.
/// </summary>
internal sealed class GitHubAppClient : IGitHubAppClient, IDisposable
{
    private const int PageSize = 100;
    private const int MaxPages = 100;

    private readonly HttpClient client;
    private readonly TimeProvider timeProvider;
    private readonly ILogger<GitHubAppClient> logger;

    public GitHubAppClient(GitHubHttp http, AppJwtSigner signer, TimeProvider timeProvider, ILogger<GitHubAppClient> logger)
    {
        client = http.CreateClient(GitHubRequestScope.App, new AppJwtCredential(signer));
        this.timeProvider = timeProvider;
        this.logger = logger;
    }

    public Uri ApiBase => client.BaseAddress!;

    public async Task<GitHubAppInfo> GetAppAsync(CancellationToken cancellationToken)
    {
        using var json = await SendAsync(HttpMethod.Get, "app", null, "the App", cancellationToken);
        var root = json.RootElement;
        return new GitHubAppInfo(
            root.GetProperty("id").GetInt64(),
            Text(root, "slug"),
            Text(root, "name"),
            root.TryGetProperty("owner", out var owner) && owner.ValueKind == JsonValueKind.Object ? Text(owner, "login") : null,
            root.TryGetProperty("permissions", out var permissions) && permissions.ValueKind == JsonValueKind.Object
                ? permissions.EnumerateObject().Where(p => p.Value.ValueKind == JsonValueKind.String)
                    .ToDictionary(p => p.Name, p => p.Value.GetString()!, StringComparer.Ordinal)
                : null,
            root.TryGetProperty("events", out var events) && events.ValueKind == JsonValueKind.Array
                ? [.. events.EnumerateArray().Where(e => e.ValueKind == JsonValueKind.String).Select(e => e.GetString()!)]
                : null);
    }

    public async Task<IReadOnlyList<GitHubInstallationInfo>> ListInstallationsAsync(CancellationToken cancellationToken)
    {
        var installations = new List<GitHubInstallationInfo>();
        for (var page = 1; page <= MaxPages; page++)
        {
            var path = string.Create(CultureInfo.InvariantCulture, $"app/installations?per_page={PageSize}&page={page}");
            using var json = await SendAsync(HttpMethod.Get, path, null, "the App", cancellationToken);
            var count = 0;
            foreach (var item in json.RootElement.EnumerateArray())
            {
                count++;
                var account = item.TryGetProperty("account", out var a) && a.ValueKind == JsonValueKind.Object ? a : default;
                installations.Add(new GitHubInstallationInfo(
                    item.GetProperty("id").GetInt64(),
                    account.ValueKind == JsonValueKind.Object ? Text(account, "login") : "?",
                    account.ValueKind == JsonValueKind.Object ? Text(account, "type") : "?",
                    Text(item, "repository_selection"),
                    item.TryGetProperty("suspended_at", out var suspended) && suspended.ValueKind == JsonValueKind.String));
            }

            if (count < PageSize)
            {
                break;
            }
        }

        return installations;
    }

    public async Task<long> GetRepositoryInstallationIdAsync(RepositoryRef repository, CancellationToken cancellationToken)
    {
        using var json = await SendAsync(HttpMethod.Get, $"repos/{Escape(repository.Owner)}/{Escape(repository.Name)}/installation",
            null, repository.FullName, cancellationToken);
        return json.RootElement.GetProperty("id").GetInt64();
    }

    /// <summary><c>POST /app/installations/{id}/access_tokens</c> with a body that down-scopes the token.</summary>
    public async Task<InstallationAccessToken> CreateInstallationTokenAsync(long installationId, RepositoryRef repository,
        GitHubPermissions permissions, CancellationToken cancellationToken)
    {
        var scopes = new JsonObject();
        foreach (var (name, level) in permissions.Scopes)
        {
            scopes[name] = level;
        }

        var body = new JsonObject
        {
            ["repositories"] = new JsonArray(repository.Name),
            ["permissions"] = scopes,
        };
        using var content = new StringContent(body.ToJsonString(), Encoding.UTF8, new MediaTypeHeaderValue("application/json"));
        var path = string.Create(CultureInfo.InvariantCulture, $"app/installations/{installationId}/access_tokens");
        using var json = await SendAsync(HttpMethod.Post, path, content, repository.FullName, cancellationToken);
        var root = json.RootElement;
        var token = root.TryGetProperty("token", out var t) && t.ValueKind == JsonValueKind.String ? t.GetString() : null;
        if (string.IsNullOrEmpty(token) || !root.TryGetProperty("expires_at", out var e) || !e.TryGetDateTimeOffset(out var expiresAt))
        {
            throw new GitHubException(
                $"GitHub POST /{path} for {repository.FullName} answered without a token or expires_at", isTransient: true);
        }

        logger.LogInformation(
            "Created an installation token for {Repository} (installation {InstallationId}, permissions {Permissions}) expiring in {Minutes} min",
            repository.FullName, installationId, permissions.Key, (int)(expiresAt - timeProvider.GetUtcNow()).TotalMinutes);
        return new InstallationAccessToken(token, expiresAt);
    }

    public void Dispose() => client.Dispose();

    private static string Escape(string segment) => Uri.EscapeDataString(segment);

    private static string Text(JsonElement element, string property) =>
        element.TryGetProperty(property, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() ?? string.Empty : string.Empty;

    private async Task<JsonDocument> SendAsync(HttpMethod method, string path, HttpContent? content, string subject,
        CancellationToken cancellationToken)
    {
        var operation = $"{method} /{path.Split('?')[0]}";
        using var request = new HttpRequestMessage(method, new Uri(path, UriKind.Relative)) { Content = content };
        HttpResponseMessage response;
        try
        {
            response = await client.SendAsync(request, cancellationToken);
        }
        catch (HttpRequestException exception)
        {
            throw new GitHubException($"GitHub {operation} for {subject} failed: {exception.Message}", true, null, null, exception);
        }

        using (response)
        {
            var text = await response.Content.ReadAsStringAsync(cancellationToken);
            if (!response.IsSuccessStatusCode)
            {
                throw GitHubErrors.ForStatus(operation, subject, response.StatusCode, GitHubErrors.MessageOf(text),
                    Hint(path, response.StatusCode));
            }

            try
            {
                return JsonDocument.Parse(text);
            }
            catch (JsonException exception)
            {
                throw new GitHubException(
                    $"GitHub {operation} for {subject} answered {(int)response.StatusCode} with a body that is not JSON",
                    true, (int)response.StatusCode, null, exception);
            }
        }
    }

    private static string? Hint(string path, HttpStatusCode status) => status switch
    {
        HttpStatusCode.Unauthorized =>
            "the App JWT was rejected: check that GITHUB_APP_ID / GITHUB_CLIENT_ID belong to this private key and that the clock is right",
        HttpStatusCode.NotFound when path.EndsWith("/installation", StringComparison.Ordinal) =>
            "the App is not installed on this repository",
        HttpStatusCode.NotFound when path.EndsWith("/access_tokens", StringComparison.Ordinal) =>
            "the installation does not exist or was removed",
        HttpStatusCode.UnprocessableEntity when path.EndsWith("/access_tokens", StringComparison.Ordinal) =>
            "the repository is not part of the installation, or the permissions asked for were not granted to it",
        HttpStatusCode.Forbidden => "the App lacks a permission, or the installation is suspended",
        _ => null,
    };
}
