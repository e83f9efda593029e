using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Octokit;

namespace Runner.Core.GitHub.PullRequests;

/// <summary>
/// Git Data API (blobs, trees, commits, refs) and the pull request writes of a fix. Only low-level calls: which
/// branch may be written and when is decided by <c>Agent/Fix/FixPublisher</c>.
/// </summary>
internal sealed class GitDataApi(IGitHubClient client, RepositoryRef repository)
{
    private readonly GitHubJson json = new(client.Connection);

    private string Repo => $"repos/{Uri.EscapeDataString(repository.Owner)}/{Uri.EscapeDataString(repository.Name)}";

    /// <summary>The commit a branch points at, or null when the branch does not exist.</summary>
    public async Task<string?> GetBranchShaAsync(string branch, CancellationToken cancellationToken)
    {
        try
        {
            var body = await json.GetAsync($"{Repo}/git/ref/heads/{EscapePath(branch)}", cancellationToken);
            return Json.Str(body, "object", "sha");
        }
        catch (NotFoundException)
        {
            return null;
        }
    }

    /// <returns>The commit's tree SHA and message.</returns>
    public async Task<(string TreeSha, string Message)> GetCommitAsync(string sha, CancellationToken cancellationToken)
    {
        var body = await json.GetAsync($"{Repo}/git/commits/{Uri.EscapeDataString(sha)}", cancellationToken);
        return (Json.Str(body, "tree", "sha") ?? string.Empty, Json.Str(body, "message") ?? string.Empty);
    }

    /// <summary>Every entry of a commit's tree; <c>Truncated</c> when GitHub cut a very large tree short.</summary>
    public async Task<(IReadOnlyList<GitTreeEntry> Entries, bool Truncated)> GetTreeRecursiveAsync(string treeOrCommitSha, CancellationToken cancellationToken)
    {
        var body = await json.GetAsync($"{Repo}/git/trees/{Uri.EscapeDataString(treeOrCommitSha)}?recursive=1", cancellationToken);
        var entries = Json.At(body, "tree") is { ValueKind: JsonValueKind.Array } tree
            ? tree.EnumerateArray().Select(e => new GitTreeEntry(
                Json.Str(e, "path") ?? string.Empty, Json.Str(e, "mode") ?? string.Empty, Json.Str(e, "type") ?? string.Empty, Json.Str(e, "sha"))).ToList()
            : [];
        return (entries, Json.Bool(body, "truncated"));
    }

    /// <summary>Base64, so any text arrives byte for byte.</summary>
    public async Task<string> CreateBlobAsync(string content, CancellationToken cancellationToken)
    {
        var body = await json.PostAsync($"{Repo}/git/blobs", new JsonObject
        {
            ["content"] = Convert.ToBase64String(Encoding.UTF8.GetBytes(content)),
            ["encoding"] = "base64",
        }, cancellationToken);
        return Json.Str(body, "sha") ?? throw new InvalidDataException("GitHub created a blob without a sha");
    }

    /// <param name="blobs">Path → (blob SHA, or null to delete the path from the base tree; file mode).</param>
    public async Task<string> CreateTreeAsync(string baseTreeSha, IReadOnlyDictionary<string, (string? Sha, string Mode)> blobs,
        CancellationToken cancellationToken)
    {
        var tree = new JsonArray();
        foreach (var (path, (sha, mode)) in blobs.OrderBy(b => b.Key, StringComparer.Ordinal))
        {
            tree.Add(new JsonObject { ["path"] = path, ["mode"] = mode, ["type"] = "blob", ["sha"] = sha });
        }

        var body = await json.PostAsync($"{Repo}/git/trees", new JsonObject { ["base_tree"] = baseTreeSha, ["tree"] = tree }, cancellationToken);
        return Json.Str(body, "sha") ?? throw new InvalidDataException("GitHub created a tree without a sha");
    }

    public async Task<string> CreateCommitAsync(string message, string treeSha, string parentSha, CancellationToken cancellationToken)
    {
        var body = await json.PostAsync($"{Repo}/git/commits", new JsonObject
        {
            ["message"] = message,
            ["tree"] = treeSha,
            ["parents"] = new JsonArray(parentSha),
        }, cancellationToken);
        return Json.Str(body, "sha") ?? throw new InvalidDataException("GitHub created a commit without a sha");
    }

    public Task CreateBranchAsync(string branch, string sha, CancellationToken cancellationToken) =>
        json.PostAsync($"{Repo}/git/refs", new JsonObject { ["ref"] = $"refs/heads/{branch}", ["sha"] = sha }, cancellationToken);

    /// <summary>Moves the branch to <paramref name="sha"/> even when that is not a fast-forward.</summary>
    public Task ForceUpdateBranchAsync(string branch, string sha, CancellationToken cancellationToken) =>
        json.PatchAsync($"{Repo}/git/refs/heads/{EscapePath(branch)}", new JsonObject { ["sha"] = sha, ["force"] = true }, cancellationToken);

    /// <summary>The open pull request from <paramref name="branch"/> of this repository into <paramref name="baseBranch"/>, if any.</summary>
    public async Task<PullRequestRef?> FindOpenPullRequestAsync(string branch, string baseBranch, CancellationToken cancellationToken)
    {
        var head = Uri.EscapeDataString($"{repository.Owner}:{branch}");
        var pulls = await json.GetAllPagesAsync($"{Repo}/pulls?state=open&head={head}&base={Uri.EscapeDataString(baseBranch)}", cancellationToken);
        return pulls.Select(ReadRef).FirstOrDefault(p => p.HeadRef == branch);
    }

    /// <summary>Opens a draft pull request (<c>draft</c> is not in Octokit's <c>NewPullRequest</c> for every version, so sent by hand).</summary>
    public async Task<PullRequestRef> CreateDraftPullRequestAsync(string title, string body, string branch, string baseBranch, CancellationToken cancellationToken) =>
        ReadRef(await json.PostAsync($"{Repo}/pulls", new JsonObject
        {
            ["title"] = title,
            ["body"] = body,
            ["head"] = branch,
            ["base"] = baseBranch,
            ["draft"] = true,
            ["maintainer_can_modify"] = true,
        }, cancellationToken));

    public async Task<PullRequestRef> UpdatePullRequestAsync(int number, string title, string body, CancellationToken cancellationToken) =>
        ReadRef(await json.PatchAsync($"{Repo}/pulls/{number.ToString(CultureInfo.InvariantCulture)}",
            new JsonObject { ["title"] = title, ["body"] = body }, cancellationToken));

    private static PullRequestRef ReadRef(JsonElement pr) => new(
        (int)(Json.Long(pr, "number") ?? 0),
        Json.Str(pr, "html_url") ?? string.Empty,
        Json.Bool(pr, "draft"),
        Json.Str(pr, "head", "ref") ?? string.Empty);

    /// <summary>Branch names keep their slashes in ref paths (<c>git/ref/heads/runner/issue-7</c>); every segment is escaped.</summary>
    private static string EscapePath(string branch) => string.Join('/', branch.Split('/').Select(Uri.EscapeDataString));
}
