using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Runner.Sandbox;

/// <summary>One answer of the stand-in.</summary>
internal sealed record StandInAnswer(int Status, string Body, IReadOnlyDictionary<string, string> Headers);

/// <summary>
/// The pull request side of GitHub on 127.0.0.1, GHES layout (<c>/api/v3/repos/{owner}/{repo}/…</c>): pulls, their
/// files (paginated with <c>Link</c> headers), compare, reviews and review comments, and the Git Data API (blobs,
/// trees, commits, refs) with draft pull requests. It rejects what GitHub rejects: a review comment on a line
/// outside the diff (422, and the whole review is lost), a second open pull request from the same branch (422),
/// a non-fast-forward ref update without <c>force</c> (422), an unknown commit in compare (404).
/// <see cref="Handle"/> serves one request: <see cref="GitHubStandIn"/> routes each repository's requests to its
/// <see cref="FakeRepository.PullRequests"/> first.
/// </summary>
internal sealed partial class PullRequestStandIn
{
    public const string ApiPrefix = "/api/v3/";

    private readonly Lock gate = new();
    private readonly Dictionary<int, JsonObject> pulls = [];
    private readonly Dictionary<int, List<JsonObject>> files = [];
    private readonly Dictionary<int, List<JsonObject>> reviews = [];
    private readonly Dictionary<int, List<JsonObject>> reviewComments = [];
    private readonly Dictionary<string, (string Status, List<JsonObject> Files)> comparisons = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> refs = new(StringComparer.Ordinal);
    private readonly Dictionary<string, byte[]> blobs = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Dictionary<string, (string Mode, string Type, string Sha)>> trees = new(StringComparer.Ordinal);
    private readonly Dictionary<string, (string Tree, string Message, string[] Parents)> commits = new(StringComparer.Ordinal);
    private long nextId = 1000;
    private int nextPullNumber = 100;

    public PullRequestStandIn(string owner, string repo)
    {
        Owner = owner;
        Repo = repo;
    }

    public string Owner { get; }

    public string Repo { get; }

    /// <summary>GitHub's page size is at most 100; a test lowers it to see pagination with a few files.</summary>
    public int MaxPageSize { get; set; } = 100;

    /// <summary>The login and type reviews are posted as.</summary>
    public (string Login, string Type) Actor { get; set; } = ("runner[bot]", "Bot");

    // ---------------------------------------------------------------- seeding

    /// <summary>Creates a commit on <paramref name="branch"/> with these files (and optional links and submodules); returns its SHA.</summary>
    public string SeedBranch(string branch, IReadOnlyDictionary<string, string> fileContents, string message = "seed",
        IEnumerable<string>? symlinks = null, IEnumerable<string>? submodules = null, string? parent = null, IEnumerable<string>? executables = null)
    {
        lock (gate)
        {
            var executable = (executables ?? []).ToHashSet(StringComparer.Ordinal);
            var entries = new Dictionary<string, (string, string, string)>(StringComparer.Ordinal);
            foreach (var (path, content) in fileContents)
            {
                entries[path] = (executable.Contains(path) ? "100755" : "100644", "blob", StoreBlob(Encoding.UTF8.GetBytes(content)));
            }

            foreach (var link in symlinks ?? [])
            {
                entries[link] = ("120000", "blob", StoreBlob(Encoding.UTF8.GetBytes("../elsewhere")));
            }

            foreach (var module in submodules ?? [])
            {
                entries[module] = ("160000", "commit", Sha("submodule " + module));
            }

            var tree = StoreTree(entries);
            var sha = StoreCommit(tree, message, parent is null ? [] : [parent]);
            refs[branch] = sha;
            return sha;
        }
    }

    public void AddPullRequest(int number, string headSha, string headRef, string baseRef, string baseSha,
        IEnumerable<(string Path, string Status, string? Patch)> changedFiles, bool draft = false)
    {
        lock (gate)
        {
            pulls[number] = PullJson(number, "Seeded pull request", "", headRef, headSha, baseRef, baseSha, draft, "octocat", "User");
            files[number] = changedFiles.Select(FileJson).ToList();
        }
    }

    /// <summary>A new head for an existing pull request (a push), with the files the whole pull request now changes.</summary>
    public void Push(int number, string headSha, IEnumerable<(string Path, string Status, string? Patch)> changedFiles)
    {
        lock (gate)
        {
            pulls[number]["head"]!["sha"] = headSha;
            files[number] = changedFiles.Select(FileJson).ToList();
        }
    }

    public void AddComparison(string baseSha, string headSha, string status, IEnumerable<(string Path, string Status, string? Patch)> changedFiles)
    {
        lock (gate)
        {
            comparisons[$"{baseSha}...{headSha}"] = (status, changedFiles.Select(FileJson).ToList());
        }
    }

    // ---------------------------------------------------------------- inspection

    public IReadOnlyList<JsonObject> ReviewsOf(int number)
    {
        lock (gate)
        {
            return [.. reviews.GetValueOrDefault(number) ?? []];
        }
    }

    public IReadOnlyList<JsonObject> ReviewCommentsOf(int number)
    {
        lock (gate)
        {
            return [.. reviewComments.GetValueOrDefault(number) ?? []];
        }
    }

    public IReadOnlyList<JsonObject> PullRequests
    {
        get
        {
            lock (gate)
            {
                return [.. pulls.Values];
            }
        }
    }

    public string? BranchSha(string branch)
    {
        lock (gate)
        {
            return refs.GetValueOrDefault(branch);
        }
    }

    public string CommitMessage(string sha)
    {
        lock (gate)
        {
            return commits[sha].Message;
        }
    }

    public IReadOnlyList<string> CommitParents(string sha)
    {
        lock (gate)
        {
            return commits[sha].Parents;
        }
    }

    public string ModeAt(string commitSha, string path)
    {
        lock (gate)
        {
            return trees[commits[commitSha].Tree][path].Mode;
        }
    }

    /// <summary>The text files of a commit, path → content.</summary>
    public IReadOnlyDictionary<string, string> FilesAt(string commitSha)
    {
        lock (gate)
        {
            return trees[commits[commitSha].Tree].Where(e => e.Value.Mode is "100644" or "100755")
                .ToDictionary(e => e.Key, e => Encoding.UTF8.GetString(blobs[e.Value.Sha]), StringComparer.Ordinal);
        }
    }

    /// <summary>The text files of a commit, or null when the commit is unknown.</summary>
    public IReadOnlyDictionary<string, string>? FilesAtOrNull(string commitSha)
    {
        lock (gate)
        {
            return commits.ContainsKey(commitSha) ? FilesAt(commitSha) : null;
        }
    }

    // ---------------------------------------------------------------- serving

    /// <summary>Serves one request, or returns null when the route is not one of this stand-in's.</summary>
    /// <param name="path">The full path, e.g. <c>/api/v3/repos/o/r/pulls/1/files</c>.</param>
    /// <param name="query">The query string with its <c>?</c>, or empty.</param>
    /// <param name="root">The server's root, for <c>Link</c> headers.</param>
    public StandInAnswer? Handle(string method, string path, string query, string body, Uri root)
    {
        var prefix = $"{ApiPrefix}repos/{Owner}/{Repo}/";
        if (!path.StartsWith(prefix, StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        var route = path[prefix.Length..];
        var parameters = Microsoft.AspNetCore.WebUtilities.QueryHelpers.ParseQuery(query);
        string? Param(string name) => parameters.TryGetValue(name, out var value) ? value.ToString() : null;
        lock (gate)
        {
            return (method, route) switch
            {
                ("GET", _) when PullRoute().Match(route) is { Success: true } m => Found(pulls.GetValueOrDefault(Int(m))),
                ("PATCH", _) when PullRoute().Match(route) is { Success: true } m => UpdatePull(Int(m), Json(body)),
                ("GET", _) when PullPartRoute().Match(route) is { Success: true, Groups: var g } && g[2].Value == "files" =>
                    Page(files.GetValueOrDefault(Int(g)), root, path, Param("page"), Param("per_page")),
                ("GET", _) when PullPartRoute().Match(route) is { Success: true, Groups: var g } && g[2].Value == "reviews" =>
                    Page(reviews.GetValueOrDefault(Int(g)) ?? [], root, path, Param("page"), Param("per_page")),
                ("GET", _) when PullPartRoute().Match(route) is { Success: true, Groups: var g } && g[2].Value == "comments" =>
                    Page(reviewComments.GetValueOrDefault(Int(g)) ?? [], root, path, Param("page"), Param("per_page")),
                ("POST", _) when PullPartRoute().Match(route) is { Success: true, Groups: var g } && g[2].Value == "reviews" =>
                    CreateReview(Int(g), Json(body)),
                ("GET", "pulls") => Page(OpenPulls(Param("head"), Param("base")), root, path, Param("page"), Param("per_page")),
                ("POST", "pulls") => CreatePull(Json(body)),
                ("GET", _) when route.StartsWith("compare/", StringComparison.Ordinal) => Compare(Uri.UnescapeDataString(route["compare/".Length..])),
                ("GET", _) when route.StartsWith("git/ref/heads/", StringComparison.Ordinal) => GetRef(Uri.UnescapeDataString(route["git/ref/heads/".Length..])),
                ("PATCH", _) when route.StartsWith("git/refs/heads/", StringComparison.Ordinal) =>
                    UpdateRef(Uri.UnescapeDataString(route["git/refs/heads/".Length..]), Json(body)),
                ("POST", "git/refs") => CreateRef(Json(body)),
                ("POST", "git/blobs") => CreateBlob(Json(body)),
                ("POST", "git/trees") => CreateTree(Json(body)),
                ("POST", "git/commits") => CreateCommit(Json(body)),
                ("GET", _) when route.StartsWith("git/commits/", StringComparison.Ordinal) => GetCommit(route["git/commits/".Length..]),
                ("GET", _) when route.StartsWith("git/trees/", StringComparison.Ordinal) => GetTree(route["git/trees/".Length..]),
                _ => null,
            };
        }
    }

    private StandInAnswer Page(List<JsonObject>? items, Uri root, string path, string? pageText, string? perPageText)
    {
        if (items is null)
        {
            return Answer(404, new JsonObject { ["message"] = "Not Found" });
        }

        var perPage = Math.Clamp(int.TryParse(perPageText, CultureInfo.InvariantCulture, out var p) ? p : 30, 1, MaxPageSize);
        var page = Math.Max(1, int.TryParse(pageText, CultureInfo.InvariantCulture, out var n) ? n : 1);
        var array = new JsonArray([.. items.Skip((page - 1) * perPage).Take(perPage).Select(i => (JsonNode)i.DeepClone())]);
        var headers = new Dictionary<string, string>();
        var last = Math.Max(1, (items.Count + perPage - 1) / perPage);
        if (page < last)
        {
            string Link(int to) => new Uri(root, $"{path.TrimStart('/')}?per_page={perPage}&page={to}").ToString();
            headers["Link"] = $"<{Link(page + 1)}>; rel=\"next\", <{Link(last)}>; rel=\"last\"";
        }

        return new StandInAnswer(200, array.ToJsonString(), headers);
    }

    private StandInAnswer CreateReview(int number, JsonObject request)
    {
        if (!pulls.TryGetValue(number, out var pull))
        {
            return Answer(404, new JsonObject { ["message"] = "Not Found" });
        }

        var reviewEvent = request["event"]?.GetValue<string>();
        if (reviewEvent is not ("COMMENT" or "APPROVE" or "REQUEST_CHANGES"))
        {
            return Unprocessable($"Unknown review event '{reviewEvent}'");
        }

        var commitId = request["commit_id"]?.GetValue<string>() ?? pull["head"]!["sha"]!.GetValue<string>();
        var comments = request["comments"] as JsonArray ?? [];
        foreach (var comment in comments.OfType<JsonObject>())
        {
            // GitHub checks every anchor against the diff and rejects the whole review for one bad line.
            var path = comment["path"]?.GetValue<string>() ?? string.Empty;
            var line = comment["line"]?.GetValue<int>() ?? 0;
            var side = comment["side"]?.GetValue<string>() ?? "RIGHT";
            var file = files[number].FirstOrDefault(f => f["filename"]!.GetValue<string>() == path);
            if (file is null || side != "RIGHT" || !RightSideLines(file["patch"]?.GetValue<string>()).Contains(line))
            {
                return Unprocessable("Unprocessable Entity", "pull_request_review_thread.line", "could not be resolved");
            }
        }

        var id = ++nextId;
        var review = new JsonObject
        {
            ["id"] = id,
            ["user"] = User(Actor.Login, Actor.Type),
            ["body"] = request["body"]?.GetValue<string>() ?? string.Empty,
            ["state"] = reviewEvent switch { "APPROVE" => "APPROVED", "REQUEST_CHANGES" => "CHANGES_REQUESTED", _ => "COMMENTED" },
            ["commit_id"] = commitId,
            ["html_url"] = $"https://github.com/{Owner}/{Repo}/pull/{number}#pullrequestreview-{id}",
            ["event_received"] = reviewEvent,
        };
        reviews.GetOrAdd(number).Add(review);
        foreach (var comment in comments.OfType<JsonObject>())
        {
            reviewComments.GetOrAdd(number).Add(new JsonObject
            {
                ["id"] = ++nextId,
                ["pull_request_review_id"] = id,
                ["path"] = comment["path"]!.GetValue<string>(),
                ["line"] = comment["line"]!.GetValue<int>(),
                ["original_line"] = comment["line"]!.GetValue<int>(),
                ["side"] = "RIGHT",
                ["commit_id"] = commitId,
                ["body"] = comment["body"]?.GetValue<string>() ?? string.Empty,
                ["user"] = User(Actor.Login, Actor.Type),
            });
        }

        return Answer(200, review);
    }

    private StandInAnswer Compare(string range) =>
        comparisons.TryGetValue(range, out var comparison)
            ? Answer(200, new JsonObject
            {
                ["status"] = comparison.Status,
                ["files"] = new JsonArray([.. comparison.Files.Select(f => (JsonNode)f.DeepClone())]),
            })
            : Answer(404, new JsonObject { ["message"] = "Not Found" });

    private List<JsonObject> OpenPulls(string? head, string? baseRef) =>
        pulls.Values.Where(p => p["state"]!.GetValue<string>() == "open"
                && (head is null || $"{Owner}:{p["head"]!["ref"]!.GetValue<string>()}" == head)
                && (baseRef is null || p["base"]!["ref"]!.GetValue<string>() == baseRef))
            .ToList();

    private StandInAnswer CreatePull(JsonObject request)
    {
        var head = request["head"]?.GetValue<string>() ?? string.Empty;
        var baseRef = request["base"]?.GetValue<string>() ?? string.Empty;
        if (!refs.TryGetValue(head, out var headSha) || !refs.TryGetValue(baseRef, out var baseSha))
        {
            return Unprocessable("Validation Failed", "head", "invalid");
        }

        if (OpenPulls($"{Owner}:{head}", null).Count > 0)
        {
            return Unprocessable($"A pull request already exists for {Owner}:{head}.");
        }

        var number = ++nextPullNumber;
        pulls[number] = PullJson(number, request["title"]?.GetValue<string>() ?? string.Empty, request["body"]?.GetValue<string>(),
            head, headSha, baseRef, baseSha, request["draft"]?.GetValue<bool>() ?? false, Actor.Login, Actor.Type);
        files[number] = [];
        return Answer(201, pulls[number]);
    }

    private StandInAnswer UpdatePull(int number, JsonObject request)
    {
        if (!pulls.TryGetValue(number, out var pull))
        {
            return Answer(404, new JsonObject { ["message"] = "Not Found" });
        }

        foreach (var field in new[] { "title", "body", "state" })
        {
            if (request[field] is { } value)
            {
                pull[field] = value.DeepClone();
            }
        }

        return Answer(200, pull);
    }

    private StandInAnswer GetRef(string branch) =>
        refs.TryGetValue(branch, out var sha)
            ? Answer(200, new JsonObject { ["ref"] = $"refs/heads/{branch}", ["object"] = new JsonObject { ["sha"] = sha, ["type"] = "commit" } })
            : Answer(404, new JsonObject { ["message"] = "Not Found" });

    private StandInAnswer CreateRef(JsonObject request)
    {
        var name = request["ref"]?.GetValue<string>() ?? string.Empty;
        var sha = request["sha"]?.GetValue<string>() ?? string.Empty;
        if (!name.StartsWith("refs/heads/", StringComparison.Ordinal) || !commits.ContainsKey(sha))
        {
            return Unprocessable("Reference update failed");
        }

        var branch = name["refs/heads/".Length..];
        if (refs.ContainsKey(branch))
        {
            return Unprocessable("Reference already exists");
        }

        refs[branch] = sha;
        return Answer(201, new JsonObject { ["ref"] = name, ["object"] = new JsonObject { ["sha"] = sha } });
    }

    private StandInAnswer UpdateRef(string branch, JsonObject request)
    {
        var sha = request["sha"]?.GetValue<string>() ?? string.Empty;
        if (!refs.TryGetValue(branch, out var current))
        {
            return Unprocessable("Reference does not exist");
        }

        if (!commits.ContainsKey(sha))
        {
            return Unprocessable("Object does not exist");
        }

        if (request["force"]?.GetValue<bool>() != true && !IsAncestor(current, sha))
        {
            return Unprocessable("Update is not a fast forward");
        }

        refs[branch] = sha;
        return Answer(200, new JsonObject { ["ref"] = $"refs/heads/{branch}", ["object"] = new JsonObject { ["sha"] = sha } });
    }

    private StandInAnswer CreateBlob(JsonObject request)
    {
        var content = request["content"]?.GetValue<string>() ?? string.Empty;
        var bytes = request["encoding"]?.GetValue<string>() == "base64" ? Convert.FromBase64String(content) : Encoding.UTF8.GetBytes(content);
        return Answer(201, new JsonObject { ["sha"] = StoreBlob(bytes) });
    }

    private StandInAnswer CreateTree(JsonObject request)
    {
        var baseTree = request["base_tree"]?.GetValue<string>();
        if (baseTree is not null && !trees.ContainsKey(baseTree))
        {
            return Unprocessable("base_tree is not a valid tree");
        }

        var entries = baseTree is null ? new Dictionary<string, (string, string, string)>(StringComparer.Ordinal) : new(trees[baseTree], StringComparer.Ordinal);
        foreach (var entry in (request["tree"] as JsonArray ?? []).OfType<JsonObject>())
        {
            var path = entry["path"]!.GetValue<string>();
            if (entry["sha"] is null)
            {
                entries.Remove(path);
            }
            else if (!blobs.ContainsKey(entry["sha"]!.GetValue<string>()))
            {
                return Unprocessable($"tree.sha {entry["sha"]} is not a valid blob");
            }
            else
            {
                entries[path] = (entry["mode"]!.GetValue<string>(), entry["type"]!.GetValue<string>(), entry["sha"]!.GetValue<string>());
            }
        }

        return Answer(201, new JsonObject { ["sha"] = StoreTree(entries) });
    }

    private StandInAnswer CreateCommit(JsonObject request)
    {
        var tree = request["tree"]?.GetValue<string>() ?? string.Empty;
        var parents = (request["parents"] as JsonArray ?? []).Select(p => p!.GetValue<string>()).ToArray();
        if (!trees.ContainsKey(tree) || parents.Any(p => !commits.ContainsKey(p)))
        {
            return Unprocessable("tree or parent does not exist");
        }

        return Answer(201, new JsonObject { ["sha"] = StoreCommit(tree, request["message"]?.GetValue<string>() ?? string.Empty, parents) });
    }

    private StandInAnswer GetCommit(string sha) =>
        commits.TryGetValue(sha, out var commit)
            ? Answer(200, new JsonObject
            {
                ["sha"] = sha,
                ["message"] = commit.Message,
                ["tree"] = new JsonObject { ["sha"] = commit.Tree },
                ["parents"] = new JsonArray([.. commit.Parents.Select(p => (JsonNode)new JsonObject { ["sha"] = p })]),
            })
            : Answer(404, new JsonObject { ["message"] = "Not Found" });

    private StandInAnswer GetTree(string sha)
    {
        var treeSha = commits.TryGetValue(sha, out var commit) ? commit.Tree : sha;
        if (!trees.TryGetValue(treeSha, out var entries))
        {
            return Answer(404, new JsonObject { ["message"] = "Not Found" });
        }

        var array = new JsonArray();
        foreach (var (path, (mode, type, blob)) in entries.OrderBy(e => e.Key, StringComparer.Ordinal))
        {
            array.Add(new JsonObject { ["path"] = path, ["mode"] = mode, ["type"] = type, ["sha"] = blob });
        }

        return Answer(200, new JsonObject { ["sha"] = treeSha, ["tree"] = array, ["truncated"] = false });
    }

    // ---------------------------------------------------------------- helpers

    /// <summary>GitHub's own rule, computed here independently of Runner's parser: added and context lines of the hunks.</summary>
    private static HashSet<int> RightSideLines(string? patch)
    {
        var lines = new HashSet<int>();
        var next = 0;
        foreach (var line in (patch ?? string.Empty).Split('\n'))
        {
            if (HunkStart().Match(line) is { Success: true } header)
            {
                next = int.Parse(header.Groups[1].Value, CultureInfo.InvariantCulture);
            }
            else if (next > 0 && !line.StartsWith('-') && !line.StartsWith('\\'))
            {
                lines.Add(next++);
            }
        }

        return lines;
    }

    private bool IsAncestor(string ancestor, string sha)
    {
        var pending = new Stack<string>([sha]);
        while (pending.TryPop(out var current))
        {
            if (current == ancestor)
            {
                return true;
            }

            foreach (var parent in commits.GetValueOrDefault(current).Parents ?? [])
            {
                pending.Push(parent);
            }
        }

        return false;
    }

    private string StoreBlob(byte[] content)
    {
        var sha = Sha("blob " + Convert.ToBase64String(content));
        blobs[sha] = content;
        return sha;
    }

    private string StoreTree(Dictionary<string, (string Mode, string Type, string Sha)> entries)
    {
        var sha = Sha("tree " + string.Join('\n', entries.OrderBy(e => e.Key, StringComparer.Ordinal).Select(e => $"{e.Key} {e.Value}")));
        trees[sha] = entries;
        return sha;
    }

    private string StoreCommit(string tree, string message, string[] parents)
    {
        var sha = Sha($"commit {tree} {string.Join(',', parents)} {message} {++nextId}");
        commits[sha] = (tree, message, parents);
        return sha;
    }

    private JsonObject PullJson(int number, string title, string? body, string headRef, string headSha, string baseRef, string baseSha,
        bool draft, string login, string type) => new()
        {
            ["number"] = number,
            ["title"] = title,
            ["body"] = body,
            ["state"] = "open",
            ["draft"] = draft,
            ["html_url"] = $"https://github.com/{Owner}/{Repo}/pull/{number}",
            ["user"] = User(login, type),
            ["head"] = new JsonObject
            {
                ["ref"] = headRef,
                ["sha"] = headSha,
                ["repo"] = new JsonObject { ["full_name"] = $"{Owner}/{Repo}" },
            },
            ["base"] = new JsonObject
            {
                ["ref"] = baseRef,
                ["sha"] = baseSha,
                ["repo"] = new JsonObject { ["full_name"] = $"{Owner}/{Repo}" },
            },
        };

    private static JsonObject FileJson((string Path, string Status, string? Patch) file)
    {
        var json = new JsonObject
        {
            ["filename"] = file.Path,
            ["status"] = file.Status,
            ["additions"] = file.Patch?.Split('\n').Count(l => l.StartsWith('+')) ?? 0,
            ["deletions"] = file.Patch?.Split('\n').Count(l => l.StartsWith('-')) ?? 0,
        };
        if (file.Patch is not null)
        {
            json["patch"] = file.Patch;
        }

        return json;
    }

    private static JsonObject User(string login, string type) => new() { ["login"] = login, ["type"] = type };

    private static JsonObject Json(string body) => JsonNode.Parse(body.Length == 0 ? "{}" : body) as JsonObject ?? [];

    private static int Int(Match match) => int.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture);

    private static int Int(GroupCollection groups) => int.Parse(groups[1].Value, CultureInfo.InvariantCulture);

    private static StandInAnswer Found(JsonObject? value) =>
        value is null ? Answer(404, new JsonObject { ["message"] = "Not Found" }) : Answer(200, value);

    private static StandInAnswer Answer(int status, JsonNode body) => new(status, body.ToJsonString(), new Dictionary<string, string>());

    private static StandInAnswer Unprocessable(string message, string? field = null, string? code = null) =>
        Answer(422, new JsonObject
        {
            ["message"] = message,
            ["errors"] = field is null ? new JsonArray() : new JsonArray(new JsonObject { ["resource"] = "PullRequestReviewComment", ["field"] = field, ["code"] = code }),
            ["documentation_url"] = "https://docs.github.com/rest",
        });

    private static string Sha(string text) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)))[..40];

    [GeneratedRegex(@"^pulls/(\d+)$")]
    private static partial Regex PullRoute();

    [GeneratedRegex(@"^pulls/(\d+)/(files|reviews|comments)$")]
    private static partial Regex PullPartRoute();

    [GeneratedRegex(@"^@@ -\d+(?:,\d+)? \+(\d+)(?:,\d+)? @@")]
    private static partial Regex HunkStart();
}

internal static class PullRequestStandInDictionaries
{
    public static List<JsonObject> GetOrAdd(this Dictionary<int, List<JsonObject>> dictionary, int key)
    {
        if (!dictionary.TryGetValue(key, out var list))
        {
            dictionary[key] = list = [];
        }

        return list;
    }
}
