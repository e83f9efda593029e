using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Runner.Sandbox;

/// <summary>The App the stand-in answers for (<c>GET /app</c>); permissions and events are left out when null.</summary>
internal sealed record GitHubStandInApp(long Id, string Slug, string Name, string Owner,
    IReadOnlyDictionary<string, string>? Permissions = null, IReadOnlyList<string>? Events = null);

/// <summary>An installation of the App on an account, for the listed repositories or, when null, all of them.</summary>
internal sealed record GitHubStandInInstallation(long Id, string Account, string AccountType, IReadOnlyList<string>? Repositories = null)
{
    public bool Covers(string owner, string repo) =>
        string.Equals(Account, owner, StringComparison.OrdinalIgnoreCase)
        && (Repositories is null || Repositories.Contains(repo, StringComparer.OrdinalIgnoreCase));
}

/// <summary>An installation token the stand-in handed out; <see cref="Repositories"/> is null when it covers all of the installation's.</summary>
internal sealed record GitHubStandInToken(string Token, long InstallationId, IReadOnlySet<string>? Repositories,
    IReadOnlyDictionary<string, string> Permissions, DateTimeOffset ExpiresAt);

/// <summary>How a <see cref="GitHubStandIn"/> starts. The defaults are the sandbox's.</summary>
internal sealed record GitHubStandInOptions
{
    /// <summary>Where to listen; <c>runner sandbox serve</c> passes an address other containers reach.</summary>
    public string Url { get; init; } = "http://127.0.0.1:0";

    public GitHubStandInApp App { get; init; } = new(GitHubStandIn.AppId, GitHubStandIn.AppSlug, "Runner (sandbox)", DemoRepository.Owner);

    public IReadOnlyList<GitHubStandInInstallation> Installations { get; init; } =
        [new(GitHubStandIn.InstallationId, DemoRepository.Owner, "Organization")];

    /// <summary>The clock installation tokens expire by.</summary>
    public TimeProvider Clock { get; init; } = TimeProvider.System;

    /// <summary>Middleware placed in front of the stand-in's own: tests add recording, scripted answers and credential checks there.</summary>
    public Action<IApplicationBuilder>? Intercept { get; init; }
}

/// <summary>
/// GitHub's REST API on loopback, for what Runner calls: the App (JWT-authenticated: the App, its installations, a
/// repository's installation, the installation token exchange), repository, branch, contents, tarball (via a
/// codeload-style redirect), labels, issues, issue search, comments (create, list, edit), reactions and
/// collaborator permission, and through each repository's <see cref="PullRequestStandIn"/> pulls, files, compare,
/// reviews and the Git Data API. Served under <c>/api/v3</c>, where Octokit sends requests for any host but github.com.
/// The sandbox runs it as it is; tests put their own checks in front of it (<see cref="GitHubStandInOptions.Intercept"/>).
/// </summary>
internal sealed class GitHubStandIn : IAsyncDisposable
{
    public const string BotLogin = "runner[bot]";
    public const long AppId = 1;
    public const long InstallationId = 4711;
    public const string AppSlug = "runner-sandbox";

    private static readonly JsonSerializerOptions Json = new() { DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull };

    private readonly ConcurrentDictionary<string, FakeRepository> repositories = new(StringComparer.OrdinalIgnoreCase);
    private readonly GitHubStandInOptions options;
    private readonly ConcurrentDictionary<long, GitHubStandInInstallation> installations;
    private readonly ConcurrentQueue<GitHubStandInToken> issuedTokens = new();
    private long nextId = 5_000_000;
    private int tokenCount;
    private LoopbackHttpServer? server;

    private GitHubStandIn(GitHubStandInOptions options)
    {
        this.options = options;
        installations = new(options.Installations.Select(i => KeyValuePair.Create(i.Id, i)));
    }

    public Uri BaseAddress => server!.BaseAddress;

    /// <summary>Every installation token handed out, in order.</summary>
    public IReadOnlyList<GitHubStandInToken> IssuedTokens => [.. issuedTokens];

    /// <summary>Builds the n-th installation token (1-based). Default: random <c>ghs_</c> tokens, as GitHub's look.</summary>
    public Func<int, string> TokenFactory { get; set; } = _ => "ghs_" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(18));

    public static async Task<GitHubStandIn> StartAsync(GitHubStandInOptions? options = null)
    {
        var standIn = new GitHubStandIn(options ?? new GitHubStandInOptions());
        standIn.server = await LoopbackHttpServer.StartAsync(standIn.Map, standIn.options.Url);
        return standIn;
    }

    public FakeRepository Repository(string owner, string name) =>
        repositories.GetOrAdd($"{owner}/{name}", _ => new FakeRepository(owner, name));

    public async ValueTask DisposeAsync()
    {
        if (server is not null)
        {
            await server.DisposeAsync();
        }
    }

    private void Map(WebApplication app)
    {
        options.Intercept?.Invoke(app);
        app.Use(async (context, next) =>
        {
            if (!await ServePullRequestsAsync(context))
            {
                await next(context);
            }
        });

        MapApp(app);
        const string Repo = "/api/v3/repos/{owner}/{repo}";
        app.MapGet(Repo, (string owner, string repo) => WithRepo(owner, repo, r => Ok(RepositoryJson(r))));
        app.MapGet(Repo + "/branches/{branch}", (string owner, string repo, string branch) => WithRepo(owner, repo, r =>
            branch == r.DefaultBranch ? Ok(new { name = branch, commit = new { sha = r.Sha, url = $"https://api.github.com/repos/{r.FullName}/commits/{r.Sha}" }, @protected = false }) : NotFound()));
        app.MapGet(Repo + "/contents/{**path}", (string owner, string repo, string path) => WithRepo(owner, repo, r => Contents(r, path)));
        app.MapGet(Repo + "/tarball/{reference}", (string owner, string repo, string reference, HttpRequest request) => WithRepo(owner, repo, _ =>
            Results.Redirect($"{request.Scheme}://{request.Host}/codeload/{owner}/{repo}/legacy.tar.gz/{reference}")));
        app.MapGet("/codeload/{owner}/{repo}/legacy.tar.gz/{reference}", (string owner, string repo, string reference) => WithRepo(owner, repo, r =>
        {
            var tarball = reference == r.Sha ? r.BuildTarball() : r.BuildTarball(reference);
            if (tarball is null)
            {
                return NotFound();
            }

            return Results.Bytes(tarball, "application/x-gzip");
        }));
        app.MapGet(Repo + "/labels", (string owner, string repo) => WithRepo(owner, repo, r =>
            Ok(r.Labels.Select((l, i) => LabelJson(i + 1, l.Name, l.Description)).ToList())));
        app.MapPost(Repo + "/issues/{number}/labels", async (string owner, string repo, int number, HttpRequest request) =>
        {
            var r = Find(owner, repo);
            if (r is null)
            {
                return NotFound();
            }

            var body = await JsonNode.ParseAsync(request.Body);
            var names = (body as JsonArray ?? body?["labels"] as JsonArray ?? []).Select(n => n!.GetValue<string>()).ToList();
            lock (r.Gate)
            {
                var labels = r.IssueLabels.TryGetValue(number, out var existing) ? existing : r.IssueLabels[number] = [];
                labels.AddRange(names.Except(labels));
                return Ok(labels.Select((l, i) => LabelJson(i + 1, l, null)).ToList());
            }
        });
        app.MapGet(Repo + "/issues", (string owner, string repo) => WithRepo(owner, repo, r =>
            Ok(r.Issues.Where(i => i.Open).OrderByDescending(i => i.Number).Select(i => IssueJson(r, i)).ToList())));
        app.MapGet(Repo + "/issues/{number:int}", (string owner, string repo, int number) => WithRepo(owner, repo, r =>
            r.Issues.FirstOrDefault(i => i.Number == number) is { } issue ? Ok(IssueJson(r, issue)) : NotFound()));
        app.MapGet("/api/v3/search/issues", (string q) => SearchIssues(q));
        app.MapGet(Repo + "/issues/{number}/comments", (string owner, string repo, int number, int? page, int? per_page) => WithRepo(owner, repo, r =>
        {
            var size = per_page ?? 30;
            return Ok(r.Comments.Where(c => c.IssueNumber == number).Skip(((page ?? 1) - 1) * size).Take(size).Select(c => CommentJson(r, c)).ToList());
        }));
        app.MapPost(Repo + "/issues/{number}/comments", async (string owner, string repo, int number, HttpRequest request) =>
        {
            var r = Find(owner, repo);
            if (r is null)
            {
                return NotFound();
            }

            var body = (await JsonNode.ParseAsync(request.Body))?["body"]?.GetValue<string>() ?? string.Empty;
            lock (r.Gate)
            {
                var comment = new FakeComment(Interlocked.Increment(ref nextId), number, body, BotLogin, "Bot");
                r.Comments.Add(comment);
                return Results.Json(CommentJson(r, comment), Json, statusCode: 201);
            }
        });
        app.MapMethods(Repo + "/issues/comments/{id}", ["PATCH"], async (string owner, string repo, long id, HttpRequest request) =>
        {
            var r = Find(owner, repo);
            if (r is null)
            {
                return NotFound();
            }

            var body = (await JsonNode.ParseAsync(request.Body))?["body"]?.GetValue<string>() ?? string.Empty;
            lock (r.Gate)
            {
                var index = r.Comments.FindIndex(c => c.Id == id);
                if (index < 0)
                {
                    return NotFound();
                }

                r.Comments[index] = r.Comments[index] with { Body = body };
                return Ok(CommentJson(r, r.Comments[index]));
            }
        });
        app.MapPost(Repo + "/issues/{number}/reactions", async (string owner, string repo, int number, HttpRequest request) =>
            React(owner, repo, $"issue:{number}", await JsonNode.ParseAsync(request.Body)));
        app.MapPost(Repo + "/issues/comments/{id}/reactions", async (string owner, string repo, long id, HttpRequest request) =>
            React(owner, repo, $"comment:{id}", await JsonNode.ParseAsync(request.Body)));
        app.MapGet(Repo + "/collaborators/{user}/permission", (string owner, string repo, string user) => WithRepo(owner, repo, r =>
        {
            var permission = r.Permissions.GetValueOrDefault(user, "none");
            return Ok(new { permission, role_name = permission, user = UserJson(user, "User") });
        }));
    }

    /// <summary>
    /// The App's own endpoints (JWT-authenticated on GitHub; the stand-in takes any JWT): the installation token exchange,
    /// the App, its installations and a repository's installation. Tokens are valid for an hour, as GitHub's are.
    /// </summary>
    private void MapApp(WebApplication app)
    {
        app.MapPost("/api/v3/app/installations/{id}/access_tokens", async (long id, HttpRequest request) =>
        {
            if (!installations.TryGetValue(id, out var installation))
            {
                return NotFound();
            }

            var asked = await JsonNode.ParseAsync(request.Body) as JsonObject;
            var names = (asked?["repositories"] as JsonArray)?.Select(r => r!.GetValue<string>()).ToHashSet(StringComparer.OrdinalIgnoreCase);
            if (names is not null && !names.All(name => Reaches(installation, installation.Account, name)))
            {
                return Error(HttpStatusCode.UnprocessableEntity,
                    "There is at least one repository that does not exist or is not accessible to the parent installation.");
            }

            // GitHub grants what the request asks for (within the App's permissions): echo the down-scoped set.
            var permissions = (asked?["permissions"] as JsonObject)?.ToDictionary(p => p.Key, p => p.Value!.GetValue<string>())
                ?? new Dictionary<string, string> { ["issues"] = "write", ["contents"] = "read", ["metadata"] = "read" };
            var token = new GitHubStandInToken(TokenFactory(Interlocked.Increment(ref tokenCount)), id, names, permissions,
                options.Clock.GetUtcNow().AddHours(1));
            issuedTokens.Enqueue(token);
            return Results.Json(
                new
                {
                    token = token.Token,
                    expires_at = token.ExpiresAt.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture),
                    permissions,
                    repository_selection = "selected",
                },
                Json,
                statusCode: 201);
        });
        app.MapGet("/api/v3/app", () => Ok(new
        {
            id = options.App.Id,
            slug = options.App.Slug,
            name = options.App.Name,
            owner = UserJson(options.App.Owner, "Organization"),
            html_url = $"https://github.com/apps/{options.App.Slug}",
            permissions = options.App.Permissions,
            events = options.App.Events,
        }));
        app.MapGet("/api/v3/app/installations", (int? page, int? per_page) =>
        {
            var size = per_page ?? 30;
            return Ok(installations.Values.OrderBy(i => i.Id).Skip(((page ?? 1) - 1) * size).Take(size).Select(i => new
            {
                id = i.Id,
                account = UserJson(i.Account, i.AccountType),
                repository_selection = i.Repositories is null ? "all" : "selected",
                app_id = options.App.Id,
                target_type = i.AccountType,
            }).ToList());
        });
        app.MapGet("/api/v3/repos/{owner}/{repo}/installation", (string owner, string repo) =>
            installations.Values.FirstOrDefault(i => Reaches(i, owner, repo)) is { } installation
                ? Ok(new { id = installation.Id, app_id = options.App.Id, account = UserJson(installation.Account, installation.AccountType) })
                : NotFound());
    }

    /// <summary>An installation on all of an account's repositories reaches those the stand-in holds.</summary>
    private bool Reaches(GitHubStandInInstallation installation, string owner, string repo) =>
        installation.Covers(owner, repo) && (installation.Repositories is not null || Find(owner, repo) is not null);

    /// <summary>Pulls, compare, reviews and Git Data requests go to the repository's <see cref="PullRequestStandIn"/>.</summary>
    private async Task<bool> ServePullRequestsAsync(HttpContext context)
    {
        var path = context.Request.Path.Value ?? "/";
        if (!path.StartsWith("/api/v3/repos/", StringComparison.Ordinal) || path.Split('/') is not { Length: > 6 } segments
            || Find(segments[4], segments[5]) is not { } r)
        {
            return false;
        }

        context.Request.EnableBuffering();
        using var reader = new StreamReader(context.Request.Body, Encoding.UTF8, leaveOpen: true);
        var body = await reader.ReadToEndAsync();
        context.Request.Body.Position = 0;
        var root = new Uri($"{context.Request.Scheme}://{context.Request.Host}/");
        if (r.PullRequests.Handle(context.Request.Method, path, context.Request.QueryString.Value ?? string.Empty, body, root) is not { } answer)
        {
            return false;
        }

        context.Response.StatusCode = answer.Status;
        context.Response.ContentType = "application/json; charset=utf-8";
        foreach (var (name, value) in answer.Headers)
        {
            context.Response.Headers[name] = value;
        }

        await context.Response.WriteAsync(answer.Body);
        return true;
    }

    private FakeRepository? Find(string owner, string repo) => repositories.GetValueOrDefault($"{owner}/{repo}");

    private IResult WithRepo(string owner, string repo, Func<FakeRepository, IResult> answer)
    {
        var r = Find(owner, repo);
        if (r is null)
        {
            return NotFound();
        }

        lock (r.Gate)
        {
            return answer(r);
        }
    }

    private static IResult Contents(FakeRepository r, string path)
    {
        if (!r.Files.TryGetValue(path, out var text))
        {
            return NotFound();
        }

        var bytes = Encoding.UTF8.GetBytes(text);
        return Ok(new
        {
            type = "file",
            encoding = "base64",
            size = bytes.Length,
            name = path.Split('/')[^1],
            path,
            content = Convert.ToBase64String(bytes, Base64FormattingOptions.InsertLineBreaks),
            sha = "0123456789abcdef0123456789abcdef01234567",
            url = $"https://api.github.com/repos/{r.FullName}/contents/{path}",
            html_url = $"https://github.com/{r.FullName}/blob/{r.DefaultBranch}/{path}",
        });
    }

    private IResult SearchIssues(string q)
    {
        var tokens = q.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        var repoName = tokens.FirstOrDefault(t => t.StartsWith("repo:", StringComparison.Ordinal))?[5..];
        var terms = tokens.Where(t => !t.Contains(':', StringComparison.Ordinal) && t != "OR").ToList();
        if (repoName is null || Find(repoName.Split('/')[0], repoName.Split('/')[1]) is not { } r)
        {
            return Error((HttpStatusCode)422, "Validation Failed");
        }

        lock (r.Gate)
        {
            var items = r.Issues
                .Where(i => terms.Any(t => i.Title.Contains(t, StringComparison.OrdinalIgnoreCase) || i.Body.Contains(t, StringComparison.OrdinalIgnoreCase)))
                .Select(i => IssueJson(r, i))
                .ToList();
            return Ok(new { total_count = items.Count, incomplete_results = false, items });
        }
    }

    private IResult React(string owner, string repo, string target, JsonNode? body) => WithRepo(owner, repo, r =>
    {
        var content = body?["content"]?.GetValue<string>() ?? string.Empty;
        r.Reactions.Add((target, content));
        return Results.Json(new { id = Interlocked.Increment(ref nextId), node_id = "REA_x", content, user = UserJson(BotLogin, "Bot"), created_at = "2024-05-02T11:30:41Z" }, Json, statusCode: 201);
    });

    private static object RepositoryJson(FakeRepository r) => new
    {
        id = 186853002,
        name = r.Name,
        full_name = r.FullName,
        owner = UserJson(r.Owner, "Organization"),
        @private = false,
        html_url = $"https://github.com/{r.FullName}",
        default_branch = r.DefaultBranch,
        url = $"https://api.github.com/repos/{r.FullName}",
    };

    private static object IssueJson(FakeRepository r, FakeIssue i) => new
    {
        id = 1_000_000 + i.Number,
        number = i.Number,
        title = i.Title,
        body = i.Body,
        state = i.Open ? "open" : "closed",
        html_url = $"https://github.com/{r.FullName}/issues/{i.Number}",
        url = $"https://api.github.com/repos/{r.FullName}/issues/{i.Number}",
        user = UserJson("someone", "User"),
        labels = Array.Empty<object>(),
        comments = 0,
        created_at = "2024-04-01T10:00:00Z",
        updated_at = "2024-04-01T10:00:00Z",
        pull_request = i.IsPullRequest ? new { url = $"https://api.github.com/repos/{r.FullName}/pulls/{i.Number}" } : null,
    };

    private static object CommentJson(FakeRepository r, FakeComment c) => new
    {
        id = c.Id,
        node_id = "IC_x",
        body = c.Body,
        user = UserJson(c.Login, c.UserType),
        html_url = $"https://github.com/{r.FullName}/issues/{c.IssueNumber}#issuecomment-{c.Id}",
        url = $"https://api.github.com/repos/{r.FullName}/issues/comments/{c.Id}",
        created_at = "2024-05-02T11:30:41Z",
        updated_at = "2024-05-02T11:30:41Z",
        author_association = c.UserType == "Bot" ? "NONE" : "MEMBER",
    };

    private static object LabelJson(int id, string name, string? description) =>
        new { id, node_id = "LA_x", name, color = "ededed", description, @default = false, url = $"https://api.github.com/labels/{Uri.EscapeDataString(name)}" };

    private static object UserJson(string login, string type) => new
    {
        login,
        id = Math.Abs(login.GetHashCode(StringComparison.Ordinal)),
        type,
        site_admin = false,
        html_url = $"https://github.com/{login}",
    };

    private static IResult Ok(object body) => Results.Json(body, Json);

    private static IResult NotFound() => Error(HttpStatusCode.NotFound, "Not Found");

    private static IResult Error(HttpStatusCode status, string message) => Results.Json(
        new { message, documentation_url = "https://docs.github.com/rest", status = ((int)status).ToString(CultureInfo.InvariantCulture) },
        Json, statusCode: (int)status);
}
