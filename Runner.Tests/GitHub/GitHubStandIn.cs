using System.Buffers.Text;
using System.Collections.Concurrent;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Runner.Tests.Infrastructure;

namespace Runner.Tests.GitHub;

/// <summary>One request as the stand-in received it.</summary>
internal sealed record SeenRequest(string Method, string Path, string? Authorization, DateTimeOffset At, string Body)
{
    public string? Credential => Authorization?.Split(' ', 2) is [_, var value] ? value : null;
}

/// <summary>
/// GitHub on 127.0.0.1, GitHub Enterprise Server layout (everything under <c>/api/v3/</c>). Verifies App JWTs
/// (RS256 signature with the public key, iat/exp against the shared fake clock, iss), issues installation tokens
/// with <c>expires_at</c>, checks them on repository routes, and answers scripted responses (401, 403 secondary
/// limit, 429 with retry-after, x-ratelimit-remaining: 0 with reset) before anything else.
/// </summary>
internal sealed partial class GitHubStandIn : IAsyncDisposable
{
    public const string ApiPrefix = "/api/v3/";

    private readonly ConcurrentDictionary<string, ConcurrentQueue<Scripted>> scripted = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, TokenGrant> grants = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<long, Installation> installations = new();
    private readonly RSA verificationKey;
    private readonly TimeProvider clock;
    private LoopbackHttpServer? server;
    private int tokenCounter;
    private int writesInFlight;
    private int readsInFlight;
    private int readsArrived;
    private readonly TaskCompletionSource readBarrier = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private GitHubStandIn(RSA verificationKey, string expectedIssuer, TimeProvider clock)
    {
        this.verificationKey = verificationKey;
        ExpectedIssuer = expectedIssuer;
        this.clock = clock;
    }

    /// <summary>The server's root, e.g. http://127.0.0.1:41234/ (no /api/v3).</summary>
    public Uri Root => server!.BaseAddress;

    public string ExpectedIssuer { get; set; }

    public ConcurrentQueue<SeenRequest> Requests { get; } = new();

    public ConcurrentQueue<string> SeenJwts { get; } = new();

    public ConcurrentQueue<string> IssuedTokens { get; } = new();

    /// <summary>Builds the n-th token (1-based). Default: ghs_ tokens of GitHub's usual length.</summary>
    public Func<int, string> TokenFactory { get; set; } = n => $"ghs_{n:D4}{Convert.ToHexString(RandomNumberGenerator.GetBytes(16))}";

    public TimeSpan TokenLifetime { get; set; } = TimeSpan.FromHours(1);

    /// <summary>When set, token exchanges wait for it: lets a test line up concurrent callers.</summary>
    public TaskCompletionSource? HoldTokenExchanges { get; set; }

    /// <summary>Real time each comment POST takes, so overlapping writes would be visible.</summary>
    public TimeSpan WriteDuration { get; set; }

    /// <summary>When set, issue GETs wait until this many are in flight at once (or 5 s pass).</summary>
    public int? ReadRendezvous { get; set; }

    public int MaxConcurrentWrites { get; private set; }

    public int MaxConcurrentReads { get; private set; }

    /// <summary>x-ratelimit-remaining on ordinary answers.</summary>
    public int RateLimitRemaining { get; set; } = 4999;

    /// <summary>x-ratelimit-reset on ordinary answers, from the clock's now.</summary>
    public TimeSpan RateLimitResetIn { get; set; } = TimeSpan.FromHours(1);

    public static async Task<GitHubStandIn> StartAsync(RSA verificationKey, string expectedIssuer, TimeProvider clock)
    {
        var standIn = new GitHubStandIn(verificationKey, expectedIssuer, clock);
        standIn.server = await LoopbackHttpServer.StartAsync(app => app.Run(standIn.HandleAsync));
        return standIn;
    }

    public void AddInstallation(long id, string account, string accountType, params string[] repositories) =>
        installations[id] = new Installation(id, account, accountType, [.. repositories.Select(r => r.ToLowerInvariant())]);

    /// <summary>Answers the next request to <paramref name="path"/> (relative to /api/v3/) with this response.</summary>
    public void Enqueue(string method, string path, int status, string body = """{"message":"scripted"}""",
        params (string Name, string Value)[] headers) =>
        scripted.GetOrAdd($"{method} {ApiPrefix}{path}", _ => new ConcurrentQueue<Scripted>())
            .Enqueue(new Scripted(status, body, headers));

    /// <summary>Invalidates a token server-side, as an uninstall or a key rotation would.</summary>
    public void Revoke(string token) => grants.TryRemove(token, out _);

    public IReadOnlyList<SeenRequest> RequestsTo(string method, string pathSuffix) =>
        [.. Requests.Where(r => r.Method == method && r.Path.EndsWith(pathSuffix, StringComparison.Ordinal))];

    public string Unix(TimeSpan fromNow) =>
        (clock.GetUtcNow() + fromNow).ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);

    public async ValueTask DisposeAsync()
    {
        HoldTokenExchanges?.TrySetResult();
        if (server is not null)
        {
            await server.DisposeAsync();
        }
    }

    private async Task HandleAsync(HttpContext context)
    {
        var request = context.Request;
        using var reader = new StreamReader(request.Body, Encoding.UTF8);
        var body = await reader.ReadToEndAsync();
        var path = request.Path.Value ?? "/";
        Requests.Enqueue(new SeenRequest(request.Method, path, request.Headers.Authorization.ToString() is { Length: > 0 } a ? a : null,
            clock.GetUtcNow(), body));

        if (scripted.TryGetValue($"{request.Method} {path}", out var queue) && queue.TryDequeue(out var next))
        {
            foreach (var (name, value) in next.Headers)
            {
                context.Response.Headers[name] = value;
            }

            await WriteAsync(context, next.Status, next.Body);
            return;
        }

        if (!path.StartsWith(ApiPrefix, StringComparison.Ordinal))
        {
            await WriteAsync(context, 404, """{"message":"Not Found (this stand-in serves /api/v3/ only)"}""");
            return;
        }

        context.Response.Headers["x-ratelimit-remaining"] = RateLimitRemaining.ToString(CultureInfo.InvariantCulture);
        context.Response.Headers["x-ratelimit-reset"] = Unix(RateLimitResetIn);
        context.Response.Headers["x-ratelimit-resource"] = "core";
        var route = path[ApiPrefix.Length..];
        var (status, json) = route switch
        {
            "app" when request.Method == "GET" => AsApp(request, () => (200, AppJson())),
            "app/installations" when request.Method == "GET" => AsApp(request, () => (200, InstallationsJson(request))),
            _ when RepositoryInstallationRoute().Match(route) is { Success: true } m && request.Method == "GET" =>
                AsApp(request, () => RepositoryInstallation(m.Groups[1].Value, m.Groups[2].Value)),
            _ when AccessTokensRoute().Match(route) is { Success: true } m && request.Method == "POST" =>
                await AsAppAsync(request, () => IssueTokenAsync(long.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture), body)),
            _ when IssueRoute().Match(route) is { Success: true } m && request.Method == "GET" =>
                await AsInstallationAsync(request, m.Groups[1].Value, m.Groups[2].Value, null, () => ReadIssueAsync(m.Groups[3].Value)),
            _ when CommentsRoute().Match(route) is { Success: true } m && request.Method == "POST" =>
                await AsInstallationAsync(request, m.Groups[1].Value, m.Groups[2].Value, "issues",
                    () => WriteCommentAsync(m.Groups[3].Value, body)),
            _ => (404, """{"message":"Not Found"}"""),
        };
        await WriteAsync(context, status, json);
    }

    private static async Task WriteAsync(HttpContext context, int status, string body)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json; charset=utf-8";
        await context.Response.WriteAsync(body);
    }

    private (int, string) AsApp(HttpRequest request, Func<(int, string)> handle) =>
        VerifyJwt(request) is { } failure ? (401, Message(failure)) : handle();

    private async Task<(int, string)> AsAppAsync(HttpRequest request, Func<Task<(int, string)>> handle) =>
        VerifyJwt(request) is { } failure ? (401, Message(failure)) : await handle();

    private async Task<(int, string)> AsInstallationAsync(HttpRequest request, string owner, string repo, string? writeScope,
        Func<Task<(int, string)>> handle)
    {
        var token = Bearer(request);
        if (token is null || !grants.TryGetValue(token, out var grant) || grant.ExpiresAt <= clock.GetUtcNow())
        {
            return (401, Message("Bad credentials"));
        }

        if (!installations.TryGetValue(grant.InstallationId, out var installation)
            || !string.Equals(installation.Account, owner, StringComparison.OrdinalIgnoreCase)
            || !grant.Repositories.Contains(repo.ToLowerInvariant()))
        {
            return (404, Message("Not Found"));
        }

        if (writeScope is not null && grant.Permissions.GetValueOrDefault(writeScope) != "write")
        {
            return (403, Message("Resource not accessible by integration"));
        }

        return await handle();
    }

    private static string? Bearer(HttpRequest request)
    {
        var header = request.Headers.Authorization.ToString();
        var space = header.IndexOf(' ', StringComparison.Ordinal);
        return space > 0 && header[..space] is "Bearer" or "bearer" or "token" ? header[(space + 1)..] : null;
    }

    /// <returns>Null when the JWT is valid, else GitHub-like reason.</returns>
    private string? VerifyJwt(HttpRequest request)
    {
        var jwt = Bearer(request);
        if (jwt is null)
        {
            return "A JSON web token could not be decoded";
        }

        SeenJwts.Enqueue(jwt);
        var parts = jwt.Split('.');
        if (parts.Length != 3)
        {
            return "A JSON web token could not be decoded";
        }

        using var header = JsonDocument.Parse(Base64Url.DecodeFromChars(parts[0]));
        if (header.RootElement.GetProperty("alg").GetString() != "RS256")
        {
            return "'alg' must be RS256";
        }

        var signed = Encoding.ASCII.GetBytes(parts[0] + "." + parts[1]);
        if (!verificationKey.VerifyData(signed, Base64Url.DecodeFromChars(parts[2]), HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1))
        {
            return "A JSON web token could not be decoded (signature does not match the App's public key)";
        }

        using var payload = JsonDocument.Parse(Base64Url.DecodeFromChars(parts[1]));
        var claims = payload.RootElement;
        var now = clock.GetUtcNow().ToUnixTimeSeconds();
        var iat = claims.GetProperty("iat").GetInt64();
        var exp = claims.GetProperty("exp").GetInt64();
        var iss = claims.GetProperty("iss");
        var issuer = iss.ValueKind == JsonValueKind.Number ? iss.GetRawText() : iss.GetString();
        if (iat > now)
        {
            return "'Issued at' claim ('iat') must be an Integer representing a time in the past";
        }

        if (exp <= now)
        {
            return "'Expiration time' claim ('exp') must be a numeric value representing the future time";
        }

        if (exp - iat > 600)
        {
            return "'Expiration time' claim ('exp') is too far in the future";
        }

        return issuer == ExpectedIssuer ? null : "'Issuer' claim ('iss') must be an Integer or the App's client ID";
    }

    private static string AppJson() => new JsonObject
    {
        ["id"] = 31337,
        ["slug"] = "runner-test",
        ["name"] = "Runner Test",
        ["owner"] = new JsonObject { ["login"] = "octo-org" },
        ["permissions"] = new JsonObject { ["metadata"] = "read", ["contents"] = "read", ["issues"] = "write", ["pull_requests"] = "read" },
        ["events"] = new JsonArray("issues", "issue_comment"),
    }.ToJsonString();

    private string InstallationsJson(HttpRequest request)
    {
        var perPage = int.TryParse(request.Query["per_page"], CultureInfo.InvariantCulture, out var p) ? p : 30;
        var page = int.TryParse(request.Query["page"], CultureInfo.InvariantCulture, out var n) ? n : 1;
        var items = installations.Values.OrderBy(i => i.Id).Skip((page - 1) * perPage).Take(perPage)
            .Select(i => (JsonNode)new JsonObject
            {
                ["id"] = i.Id,
                ["account"] = new JsonObject { ["login"] = i.Account, ["type"] = i.AccountType },
                ["repository_selection"] = "selected",
                ["suspended_at"] = null,
            });
        return new JsonArray([.. items]).ToJsonString();
    }

    private (int, string) RepositoryInstallation(string owner, string repo)
    {
        var installation = installations.Values.FirstOrDefault(i =>
            string.Equals(i.Account, owner, StringComparison.OrdinalIgnoreCase) && i.Repositories.Contains(repo.ToLowerInvariant()));
        return installation is null
            ? (404, Message("Not Found"))
            : (200, new JsonObject { ["id"] = installation.Id, ["account"] = new JsonObject { ["login"] = installation.Account } }.ToJsonString());
    }

    private async Task<(int, string)> IssueTokenAsync(long installationId, string body)
    {
        if (!installations.TryGetValue(installationId, out var installation))
        {
            return (404, Message("Not Found"));
        }

        var request = JsonNode.Parse(body)!.AsObject();
        var repositories = request["repositories"]!.AsArray().Select(r => r!.GetValue<string>().ToLowerInvariant()).ToHashSet();
        if (!repositories.IsSubsetOf(installation.Repositories))
        {
            return (422, Message("There is at least one repository that does not exist or is not accessible to the parent installation."));
        }

        var permissions = request["permissions"]!.AsObject().ToDictionary(p => p.Key, p => p.Value!.GetValue<string>());
        if (HoldTokenExchanges is { } hold)
        {
            await hold.Task.WaitAsync(TimeSpan.FromSeconds(10));
        }

        var token = TokenFactory(Interlocked.Increment(ref tokenCounter));
        var expiresAt = clock.GetUtcNow() + TokenLifetime;
        grants[token] = new TokenGrant(installationId, repositories, permissions, expiresAt);
        IssuedTokens.Enqueue(token);
        return (201, new JsonObject
        {
            ["token"] = token,
            ["expires_at"] = expiresAt.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture),
            ["permissions"] = new JsonObject([.. permissions.Select(p => KeyValuePair.Create(p.Key, (JsonNode?)p.Value))]),
            ["repository_selection"] = "selected",
        }.ToJsonString());
    }

    private async Task<(int, string)> ReadIssueAsync(string number)
    {
        var inFlight = Interlocked.Increment(ref readsInFlight);
        MaxConcurrentReads = Math.Max(MaxConcurrentReads, inFlight);
        try
        {
            if (ReadRendezvous is { } expected)
            {
                if (Interlocked.Increment(ref readsArrived) >= expected)
                {
                    readBarrier.TrySetResult();
                }

                await Task.WhenAny(readBarrier.Task, Task.Delay(TimeSpan.FromSeconds(5)));
            }

            return (200, new JsonObject
            {
                ["id"] = 1000 + int.Parse(number, CultureInfo.InvariantCulture),
                ["number"] = int.Parse(number, CultureInfo.InvariantCulture),
                ["title"] = "Crash on start",
                ["state"] = "open",
                ["body"] = "It crashes.",
                ["user"] = new JsonObject { ["login"] = "alice", ["id"] = 7 },
                ["labels"] = new JsonArray(),
                ["comments"] = 0,
                ["created_at"] = "2025-01-01T00:00:00Z",
                ["updated_at"] = "2025-01-01T00:00:00Z",
                ["html_url"] = $"https://github.example/octo-org/hello/issues/{number}",
            }.ToJsonString());
        }
        finally
        {
            Interlocked.Decrement(ref readsInFlight);
        }
    }

    private async Task<(int, string)> WriteCommentAsync(string number, string body)
    {
        var inFlight = Interlocked.Increment(ref writesInFlight);
        MaxConcurrentWrites = Math.Max(MaxConcurrentWrites, inFlight);
        try
        {
            if (WriteDuration > TimeSpan.Zero)
            {
                await Task.Delay(WriteDuration);
            }

            var text = JsonNode.Parse(body)?["body"]?.GetValue<string>() ?? string.Empty;
            return (201, new JsonObject
            {
                ["id"] = Random.Shared.Next(1, int.MaxValue),
                ["body"] = text,
                ["user"] = new JsonObject { ["login"] = "runner-test[bot]", ["id"] = 8 },
                ["created_at"] = "2025-01-01T00:00:00Z",
                ["html_url"] = $"https://github.example/octo-org/hello/issues/{number}#issuecomment-1",
            }.ToJsonString());
        }
        finally
        {
            Interlocked.Decrement(ref writesInFlight);
        }
    }

    private static string Message(string message) => new JsonObject { ["message"] = message }.ToJsonString();

    [GeneratedRegex("^repos/([^/]+)/([^/]+)/installation$")]
    private static partial Regex RepositoryInstallationRoute();

    [GeneratedRegex("^app/installations/([0-9]+)/access_tokens$")]
    private static partial Regex AccessTokensRoute();

    [GeneratedRegex("^repos/([^/]+)/([^/]+)/issues/([0-9]+)$")]
    private static partial Regex IssueRoute();

    [GeneratedRegex("^repos/([^/]+)/([^/]+)/issues/([0-9]+)/comments$")]
    private static partial Regex CommentsRoute();

    private sealed record Scripted(int Status, string Body, (string Name, string Value)[] Headers);

    private sealed record Installation(long Id, string Account, string AccountType, HashSet<string> Repositories);

    private sealed record TokenGrant(long InstallationId, HashSet<string> Repositories, Dictionary<string, string> Permissions,
        DateTimeOffset ExpiresAt);
}
