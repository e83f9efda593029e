using System.Buffers.Text;
using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Runner.Tests.GitHub;

/// <summary>One request as the stand-in received it.</summary>
internal sealed record SeenRequest(string Method, string Path, string? Authorization, DateTimeOffset At, string Body)
{
    public string? Credential => Authorization?.Split(' ', 2) is [_, var value] ? value : null;
}

/// <summary>
/// The one GitHub stand-in (<see cref="GitHubStandIn"/>, which the sandbox ships) with what only tests need, in front
/// of its routes: every request recorded, scripted answers and injected failures, probes for concurrent reads and
/// writes, counters of what reached the stand-in and, when started with <see cref="StartAppAsync"/>, GitHub's credential checks: App JWTs verified (RS256
/// signature with the public key, iat/exp against the test clock, iss), installation tokens checked on repository
/// routes (expiry, revocation, repository, write scope), and rate-limit headers on every answer.
/// </summary>
internal sealed partial class ScriptedGitHub : IAsyncDisposable
{
    public const string ApiPrefix = "/api/v3/";

    private readonly ConcurrentDictionary<string, ConcurrentQueue<Scripted>> scripted = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, bool> revoked = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<string> requestLines = new();
    private readonly ConcurrentQueue<string> forwarded = new();
    private readonly ConcurrentDictionary<string, HttpStatusCode> labelRejections = new(StringComparer.OrdinalIgnoreCase);
    private readonly ConcurrentDictionary<string, TarballEntry[]> tarballExtras = new(StringComparer.OrdinalIgnoreCase);
    private readonly Dictionary<long, GitHubStandInInstallation> installations;
    private readonly TaskCompletionSource readBarrier = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource writeBarrier = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly RSA? verificationKey;
    private readonly TimeProvider clock;
    private GitHubStandIn? standIn;
    private int writesInFlight;
    private int readsInFlight;
    private int readsArrived;
    private int writesArrived;
    private int unauthenticated;

    private ScriptedGitHub(RSA? verificationKey, string expectedIssuer, TimeProvider clock, IEnumerable<GitHubStandInInstallation> installations)
    {
        this.verificationKey = verificationKey;
        ExpectedIssuer = expectedIssuer;
        this.clock = clock;
        this.installations = installations.ToDictionary(i => i.Id);
    }

    public GitHubStandIn StandIn => standIn!;

    public Uri BaseAddress => StandIn.BaseAddress;

    /// <summary>The server's root, e.g. http://127.0.0.1:41234/ (no /api/v3).</summary>
    public Uri Root => StandIn.BaseAddress;

    /// <summary>Every request as <c>METHOD /path?query</c>, in arrival order.</summary>
    public IReadOnlyList<string> Requests => [.. requestLines];

    /// <summary>Every request with its credential, time and body, in arrival order.</summary>
    public ConcurrentQueue<SeenRequest> Seen { get; } = new();

    /// <summary>Requests answered with an error status instead, keyed by <c>METHOD /path</c> suffix (e.g. <c>GET /labels</c>).</summary>
    public ConcurrentDictionary<string, HttpStatusCode> Failures { get; } = new(StringComparer.Ordinal);

    /// <summary>API requests without an Authorization header (there should be none).</summary>
    public int UnauthenticatedRequests => unauthenticated;

    public string ExpectedIssuer { get; set; }

    public ConcurrentQueue<string> SeenJwts { get; } = new();

    public IReadOnlyList<string> IssuedTokens => [.. StandIn.IssuedTokens.Select(t => t.Token)];

    /// <summary>Builds the n-th installation token (1-based).</summary>
    public Func<int, string> TokenFactory
    {
        get => StandIn.TokenFactory;
        set => StandIn.TokenFactory = value;
    }

    /// <summary>When set, token exchanges wait for it: lets a test line up concurrent callers.</summary>
    public TaskCompletionSource? HoldTokenExchanges { get; set; }

    /// <summary>Real time each comment POST takes, so overlapping writes would be visible.</summary>
    public TimeSpan WriteDuration { get; set; }

    /// <summary>When set, issue GETs wait until this many are in flight at once (or 5 s pass).</summary>
    public int? ReadRendezvous { get; set; }

    /// <summary>When set, comment POSTs wait until this many are in flight at once (or 5 s pass).</summary>
    public int? WriteRendezvous { get; set; }

    public int MaxConcurrentWrites { get; private set; }

    public int MaxConcurrentReads { get; private set; }

    /// <summary>x-ratelimit-remaining on ordinary answers (with credential checks on).</summary>
    public int RateLimitRemaining { get; set; } = 4999;

    /// <summary>x-ratelimit-reset on ordinary answers, from the clock's now.</summary>
    public TimeSpan RateLimitResetIn { get; set; } = TimeSpan.FromHours(1);

    private bool ChecksCredentials => verificationKey is not null;

    /// <summary>The sandbox's stand-in as it ships (any credential goes), with recording and fault injection.</summary>
    public static Task<ScriptedGitHub> StartAsync() =>
        StartAsync(new ScriptedGitHub(null, string.Empty, TimeProvider.System, []), new GitHubStandInOptions());

    /// <summary>The stand-in as the given App, checking credentials as GitHub does.</summary>
    public static Task<ScriptedGitHub> StartAppAsync(RSA verificationKey, string expectedIssuer, TimeProvider clock, GitHubStandInApp app,
        IReadOnlyList<GitHubStandInInstallation> installations) =>
        StartAsync(new ScriptedGitHub(verificationKey, expectedIssuer, clock, installations),
            new GitHubStandInOptions { App = app, Installations = installations, Clock = clock });

    public FakeRepository Repository(string owner, string name) => StandIn.Repository(owner, name);

    /// <summary>Answers the next request to <paramref name="path"/> (relative to /api/v3/) with this response.</summary>
    public void Enqueue(string method, string path, int status, string body = """{"message":"scripted"}""",
        params (string Name, string Value)[] headers) =>
        scripted.GetOrAdd($"{method} {ApiPrefix}{path}", _ => new ConcurrentQueue<Scripted>())
            .Enqueue(new Scripted(status, body, headers));

    /// <summary>Invalidates a token server-side, as an uninstall or a key rotation would.</summary>
    public void Revoke(string token) => revoked[token] = true;

    public IReadOnlyList<SeenRequest> RequestsTo(string method, string pathSuffix) =>
        [.. Seen.Where(r => r.Method == method && r.Path.EndsWith(pathSuffix, StringComparison.Ordinal))];

    /// <summary>Tarball downloads of the repository that reached the stand-in.</summary>
    public int TarballDownloads(FakeRepository repository) => Forwarded("GET", $"/codeload/{repository.FullName}/", string.Empty);

    public int CommentCreates(FakeRepository repository) => Forwarded("POST", $"{ApiPrefix}repos/{repository.FullName}/issues/", "/comments");

    public int CommentUpdates(FakeRepository repository) => Forwarded("PATCH", $"{ApiPrefix}repos/{repository.FullName}/issues/comments/", string.Empty);

    public int PermissionChecks(FakeRepository repository) => Forwarded("GET", $"{ApiPrefix}repos/{repository.FullName}/collaborators/", "/permission");

    /// <summary>Adding labels to the repository's issues fails with <paramref name="status"/>, in GitHub's shape (422: "Validation Failed" per label).</summary>
    public void RejectLabels(FakeRepository repository, HttpStatusCode status) => labelRejections[repository.FullName] = status;

    /// <summary>Raw entries (links, unsafe paths, binaries) added to the repository's default-branch tarball.</summary>
    public void AddTarballEntries(FakeRepository repository, params TarballEntry[] entries) =>
        tarballExtras.AddOrUpdate(repository.FullName, entries, (_, existing) => [.. existing, .. entries]);

    public string Unix(TimeSpan fromNow) =>
        (clock.GetUtcNow() + fromNow).ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);

    public async ValueTask DisposeAsync()
    {
        HoldTokenExchanges?.TrySetResult();
        if (standIn is not null)
        {
            await standIn.DisposeAsync();
        }
    }

    private static async Task<ScriptedGitHub> StartAsync(ScriptedGitHub scriptedGitHub, GitHubStandInOptions options)
    {
        scriptedGitHub.standIn = await GitHubStandIn.StartAsync(options with { Intercept = app => app.Use(scriptedGitHub.InterceptAsync) });
        return scriptedGitHub;
    }

    private async Task InterceptAsync(HttpContext context, RequestDelegate next)
    {
        var request = context.Request;
        request.EnableBuffering();
        using (var reader = new StreamReader(request.Body, Encoding.UTF8, leaveOpen: true))
        {
            var body = await reader.ReadToEndAsync();
            request.Body.Position = 0;
            var authorization = request.Headers.Authorization.ToString();
            Seen.Enqueue(new SeenRequest(request.Method, request.Path.Value ?? "/", authorization.Length > 0 ? authorization : null, clock.GetUtcNow(), body));
        }

        requestLines.Enqueue($"{request.Method} {request.Path}{request.QueryString}");
        var path = request.Path.Value ?? "/";
        var isApi = path.StartsWith(ApiPrefix, StringComparison.Ordinal);
        if (isApi && request.Headers.Authorization.Count == 0)
        {
            Interlocked.Increment(ref unauthenticated);
        }

        if (scripted.TryGetValue($"{request.Method} {path}", out var queue) && queue.TryDequeue(out var answer))
        {
            foreach (var (name, value) in answer.Headers)
            {
                context.Response.Headers[name] = value;
            }

            await WriteAsync(context, answer.Status, answer.Body);
            return;
        }

        var failure = Failures.FirstOrDefault(f =>
            f.Key.Split(' ') is [var method, var suffix] && method == request.Method && path.EndsWith(suffix, StringComparison.Ordinal));
        if (failure.Key is not null)
        {
            await WriteAsync(context, (int)failure.Value, JsonSerializer.Serialize(new
            {
                message = "Server Error",
                documentation_url = "https://docs.github.com/rest",
                status = ((int)failure.Value).ToString(CultureInfo.InvariantCulture),
            }));
            return;
        }

        var route = isApi ? path[ApiPrefix.Length..] : string.Empty;
        if (ChecksCredentials && isApi)
        {
            context.Response.Headers["x-ratelimit-remaining"] = RateLimitRemaining.ToString(CultureInfo.InvariantCulture);
            context.Response.Headers["x-ratelimit-reset"] = Unix(RateLimitResetIn);
            context.Response.Headers["x-ratelimit-resource"] = "core";
            if (RefusedCredential(request, route) is { } refusal)
            {
                await WriteAsync(context, refusal.Status, new JsonObject { ["message"] = refusal.Message }.ToJsonString());
                return;
            }
        }

        if (await AnsweredByRepositoryFaultAsync(context, path))
        {
            return;
        }

        forwarded.Enqueue($"{request.Method} {path}");
        if (AccessTokensRoute().IsMatch(route) && request.Method == "POST" && HoldTokenExchanges is { } hold)
        {
            await hold.Task.WaitAsync(TimeSpan.FromSeconds(10));
        }

        if (IssueRoute().IsMatch(route) && request.Method == "GET")
        {
            await ReadAsync(context, next);
        }
        else if (CommentsRoute().IsMatch(route) && request.Method == "POST")
        {
            await WriteAsync(context, next);
        }
        else
        {
            await next(context);
        }
    }

    /// <summary>Label rejections and tarball extras: answers the request when one applies to it.</summary>
    private async Task<bool> AnsweredByRepositoryFaultAsync(HttpContext context, string path)
    {
        if (LabelsRoute().Match(path) is { Success: true } labels && context.Request.Method == "POST"
            && labelRejections.TryGetValue(labels.Groups[1].Value, out var status))
        {
            var names = await JsonNode.ParseAsync(context.Request.Body) is { } body
                ? (body as JsonArray ?? body["labels"] as JsonArray ?? []).Select(n => n!.GetValue<string>()).ToList()
                : [];
            await WriteAsync(context, (int)status, status == HttpStatusCode.UnprocessableEntity
                ? JsonSerializer.Serialize(new
                {
                    message = "Validation Failed",
                    errors = names.Take(1).Select(n => new { value = n, resource = "Label", field = "name", code = "invalid" }),
                    documentation_url = "https://docs.github.com/rest/issues/labels#add-labels-to-an-issue",
                    status = "422",
                })
                : new JsonObject { ["message"] = "Resource not accessible by integration" }.ToJsonString());
            return true;
        }

        if (TarballRoute().Match(path) is { Success: true } tarball && tarballExtras.TryGetValue(tarball.Groups[1].Value, out var extras)
            && tarball.Groups[1].Value.Split('/') is [var owner, var name])
        {
            var repository = Repository(owner, name);
            byte[] bytes;
            lock (repository.Gate)
            {
                if (tarball.Groups[2].Value != repository.Sha)
                {
                    return false;
                }

                bytes = TarballBuilder.Build(repository.TopFolder, repository.Sha, repository.TarballEntries.Concat(extras));
            }

            forwarded.Enqueue($"{context.Request.Method} {path}");
            context.Response.ContentType = "application/x-gzip";
            await context.Response.Body.WriteAsync(bytes);
            return true;
        }

        return false;
    }

    private int Forwarded(string method, string prefix, string suffix) =>
        forwarded.Count(line => line.StartsWith($"{method} {prefix}", StringComparison.OrdinalIgnoreCase)
            && line.EndsWith(suffix, StringComparison.Ordinal));

    /// <returns>Null when the request may pass, else GitHub's status and message.</returns>
    private (int Status, string Message)? RefusedCredential(HttpRequest request, string route)
    {
        if (AppRoute().IsMatch(route))
        {
            return VerifyJwt(request) is { } failure ? (401, failure) : null;
        }

        if (RepositoryRoute().Match(route) is not { Success: true } match)
        {
            return null;
        }

        var token = Bearer(request);
        var grant = token is null ? null : StandIn.IssuedTokens.FirstOrDefault(t => t.Token == token);
        if (grant is null || revoked.ContainsKey(grant.Token) || grant.ExpiresAt <= clock.GetUtcNow())
        {
            return (401, "Bad credentials");
        }

        var (owner, repo) = (match.Groups[1].Value, match.Groups[2].Value);
        if (!installations.TryGetValue(grant.InstallationId, out var installation) || !installation.Covers(owner, repo)
            || grant.Repositories?.Contains(repo) == false)
        {
            return (404, "Not Found");
        }

        var writesIssues = request.Method != "GET" && match.Groups[3].Value.StartsWith("issues", StringComparison.Ordinal);
        return writesIssues && grant.Permissions.GetValueOrDefault("issues") != "write"
            ? (403, "Resource not accessible by integration")
            : null;
    }

    /// <summary>
    /// Holds a request until <paramref name="expected"/> have arrived: they are then in flight together. Requests that
    /// are wrongly serialised never meet, go on after 5 s one by one, and the concurrency they record shows it.
    /// </summary>
    private static Task RendezvousAsync(int? expected, ref int arrived, TaskCompletionSource barrier)
    {
        if (expected is not { } count)
        {
            return Task.CompletedTask;
        }

        if (Interlocked.Increment(ref arrived) >= count)
        {
            barrier.TrySetResult();
        }

        return Task.WhenAny(barrier.Task, Task.Delay(TimeSpan.FromSeconds(5)));
    }

    private async Task ReadAsync(HttpContext context, RequestDelegate next)
    {
        var inFlight = Interlocked.Increment(ref readsInFlight);
        MaxConcurrentReads = Math.Max(MaxConcurrentReads, inFlight);
        try
        {
            await RendezvousAsync(ReadRendezvous, ref readsArrived, readBarrier);

            await next(context);
        }
        finally
        {
            Interlocked.Decrement(ref readsInFlight);
        }
    }

    private async Task WriteAsync(HttpContext context, RequestDelegate next)
    {
        var inFlight = Interlocked.Increment(ref writesInFlight);
        MaxConcurrentWrites = Math.Max(MaxConcurrentWrites, inFlight);
        try
        {
            await RendezvousAsync(WriteRendezvous, ref writesArrived, writeBarrier);
            if (WriteDuration > TimeSpan.Zero)
            {
                await Task.Delay(WriteDuration);
            }

            await next(context);
        }
        finally
        {
            Interlocked.Decrement(ref writesInFlight);
        }
    }

    private static async Task WriteAsync(HttpContext context, int status, string body)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json; charset=utf-8";
        await context.Response.WriteAsync(body);
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
        if (!verificationKey!.VerifyData(signed, Base64Url.DecodeFromChars(parts[2]), HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1))
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

    [GeneratedRegex("^/api/v3/repos/([^/]+/[^/]+)/issues/[0-9]+/labels$")]
    private static partial Regex LabelsRoute();

    [GeneratedRegex("^/codeload/([^/]+/[^/]+)/legacy.tar.gz/([^/]+)$")]
    private static partial Regex TarballRoute();

    [GeneratedRegex("^(app|app/installations|app/installations/[0-9]+/access_tokens|repos/[^/]+/[^/]+/installation)$")]
    private static partial Regex AppRoute();

    [GeneratedRegex("^app/installations/[0-9]+/access_tokens$")]
    private static partial Regex AccessTokensRoute();

    [GeneratedRegex("^repos/([^/]+)/([^/]+)/(.+)$")]
    private static partial Regex RepositoryRoute();

    [GeneratedRegex("^repos/[^/]+/[^/]+/issues/[0-9]+$")]
    private static partial Regex IssueRoute();

    [GeneratedRegex("^repos/[^/]+/[^/]+/issues/[0-9]+/comments$")]
    private static partial Regex CommentsRoute();

    private sealed record Scripted(int Status, string Body, (string Name, string Value)[] Headers);
}
