using System.Text.Json;
using System.Text.Json.Nodes;
using Octokit;

namespace Runner.Core.GitHub.PullRequests;

/// <summary>
/// Raw JSON requests through an Octokit client's <see cref="IConnection"/>, i.e. through the same pipeline as
/// every other call (token, rate limits, write spacing, 401 refresh). Used where Octokit's types lack fields
/// (review comments' <c>line</c>/<c>side</c>, <c>draft</c>, the comparison <c>status</c>). Failures surface as
/// Octokit's exceptions (404 <see cref="NotFoundException"/>, 422 <see cref="ApiValidationException"/>), which
/// <c>JobFailures</c> maps at the handler boundary.
/// </summary>
internal sealed class GitHubJson(IConnection connection)
{
    private const string Accept = "application/vnd.github+json";

    /// <summary>Pages GitHub answers at most for one listing (100 per page): 3,000 items, GitHub's own cap for pull request files.</summary>
    public const int MaxPages = 30;

    public async Task<JsonElement> GetAsync(string path, CancellationToken cancellationToken)
    {
        var response = await connection.Get<object>(new Uri(path, UriKind.Relative), null, Accept, cancellationToken);
        return Parse(response);
    }

    /// <summary>Every item of a paginated listing, following <c>Link: rel="next"</c> up to <see cref="MaxPages"/> pages.</summary>
    public async Task<IReadOnlyList<JsonElement>> GetAllPagesAsync(string path, CancellationToken cancellationToken)
    {
        var items = new List<JsonElement>();
        Uri? next = new(path + (path.Contains('?', StringComparison.Ordinal) ? "&" : "?") + "per_page=100", UriKind.Relative);
        for (var page = 0; next is not null && page < MaxPages; page++)
        {
            var response = await connection.Get<object>(next, null, Accept, cancellationToken);
            var body = Parse(response);
            if (body.ValueKind == JsonValueKind.Array)
            {
                items.AddRange(body.EnumerateArray());
            }

            next = response.HttpResponse.ApiInfo?.Links is { } links && links.TryGetValue("next", out var link) ? link : null;
        }

        return items;
    }

    public async Task<JsonElement> PostAsync(string path, JsonObject body, CancellationToken cancellationToken)
    {
        var response = await connection.Post<object>(
            new Uri(path, UriKind.Relative), body.ToJsonString(), Accept, "application/json", (IDictionary<string, string>?)null, cancellationToken);
        return Parse(response);
    }

    public async Task<JsonElement> PatchAsync(string path, JsonObject body, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var response = await connection.Patch<object>(new Uri(path, UriKind.Relative), body.ToJsonString(), Accept);
        return Parse(response);
    }

    private static JsonElement Parse(IApiResponse<object> response) =>
        response.HttpResponse.Body is string { Length: > 0 } text
            ? JsonDocument.Parse(text).RootElement.Clone()
            : default;
}

/// <summary>Reads GitHub's JSON without throwing on missing or null fields.</summary>
internal static class Json
{
    public static string? Str(JsonElement element, params string[] path) =>
        At(element, path) is { ValueKind: JsonValueKind.String } value ? value.GetString() : null;

    public static long? Long(JsonElement element, params string[] path) =>
        At(element, path) is { ValueKind: JsonValueKind.Number } value && value.TryGetInt64(out var number) ? number : null;

    public static bool Bool(JsonElement element, params string[] path) =>
        At(element, path) is { ValueKind: JsonValueKind.True };

    public static JsonElement? At(JsonElement element, params string[] path)
    {
        var current = element;
        foreach (var name in path)
        {
            if (current.ValueKind != JsonValueKind.Object || !current.TryGetProperty(name, out current))
            {
                return null;
            }
        }

        return current;
    }
}
