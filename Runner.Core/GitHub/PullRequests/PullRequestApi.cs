using System.Globalization;
using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Octokit;

namespace Runner.Core.GitHub.PullRequests;

/// <summary>
/// The pull request reads and the one write a review needs. Reviews are always posted with
/// <c>event: COMMENT</c>: this class has no way to approve or to request changes.
/// </summary>
internal sealed class PullRequestApi(IGitHubClient client, RepositoryRef repository)
{
    /// <summary>The only review event Runner sends.</summary>
    public const string ReviewEvent = "COMMENT";

    private readonly GitHubJson json = new(client.Connection);

    private string Repo => $"repos/{Uri.EscapeDataString(repository.Owner)}/{Uri.EscapeDataString(repository.Name)}";

    public async Task<PullRequestInfo> GetAsync(int number, CancellationToken cancellationToken) =>
        ReadPullRequest(await json.GetAsync($"{Repo}/pulls/{N(number)}", cancellationToken));

    /// <summary>All changed files of the pull request (paginated; GitHub lists at most 3,000).</summary>
    public async Task<IReadOnlyList<PullRequestFile>> ListFilesAsync(int number, CancellationToken cancellationToken) =>
        (await json.GetAllPagesAsync($"{Repo}/pulls/{N(number)}/files", cancellationToken)).Select(ReadFile).ToList();

    /// <summary>
    /// The changes from <paramref name="baseSha"/> to <paramref name="headSha"/>. A base GitHub no longer knows
    /// (a force-push removed it: 404, or 422 for an unrelated history) is reported as status <c>missing</c>, so the
    /// caller falls back to a full review instead of failing.
    /// </summary>
    public async Task<Comparison> CompareAsync(string baseSha, string headSha, CancellationToken cancellationToken)
    {
        try
        {
            var body = await json.GetAsync($"{Repo}/compare/{Uri.EscapeDataString(baseSha)}...{Uri.EscapeDataString(headSha)}", cancellationToken);
            var files = Json.At(body, "files") is { ValueKind: JsonValueKind.Array } array ? array.EnumerateArray().Select(ReadFile).ToList() : [];
            return new Comparison(baseSha, headSha, Json.Str(body, "status") ?? "diverged", files);
        }
        catch (ApiException exception) when (exception.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.UnprocessableEntity)
        {
            return new Comparison(baseSha, headSha, "missing", []);
        }
    }

    public async Task<IReadOnlyList<PostedReview>> ListReviewsAsync(int number, CancellationToken cancellationToken) =>
        (await json.GetAllPagesAsync($"{Repo}/pulls/{N(number)}/reviews", cancellationToken))
            .Select(r => new PostedReview(
                Json.Long(r, "id") ?? 0,
                Json.Str(r, "commit_id"),
                Json.Str(r, "body") ?? string.Empty,
                Json.Str(r, "user", "login") ?? string.Empty,
                Json.Str(r, "user", "type") ?? string.Empty,
                Json.Str(r, "state") ?? string.Empty,
                Json.Str(r, "html_url")))
            .ToList();

    /// <summary>Inline review comments of the pull request (all reviews, all authors).</summary>
    public async Task<IReadOnlyList<PostedReviewComment>> ListReviewCommentsAsync(int number, CancellationToken cancellationToken) =>
        (await json.GetAllPagesAsync($"{Repo}/pulls/{N(number)}/comments", cancellationToken))
            .Select(c => new PostedReviewComment(
                Json.Long(c, "id") ?? 0,
                Json.Long(c, "pull_request_review_id"),
                Json.Str(c, "path") ?? string.Empty,
                (int?)Json.Long(c, "line"),
                (int?)Json.Long(c, "original_line"),
                Json.Str(c, "body") ?? string.Empty,
                Json.Str(c, "user", "login") ?? string.Empty,
                Json.Str(c, "user", "type") ?? string.Empty))
            .ToList();

    /// <summary>
    /// Posts one review on <see cref="ReviewDraft.CommitId"/> with its inline comments on the RIGHT side. Sent
    /// by hand: Octokit's draft review comment has only the deprecated <c>position</c>, not <c>line</c>/<c>side</c>.
    /// A comment on a line outside the diff makes GitHub reject the whole review (422), so check anchors first.
    /// </summary>
    public async Task<CreatedReview> CreateReviewAsync(int number, ReviewDraft review, CancellationToken cancellationToken)
    {
        var comments = new JsonArray();
        foreach (var comment in review.Comments)
        {
            comments.Add(new JsonObject
            {
                ["path"] = comment.Path,
                ["line"] = comment.Line,
                ["side"] = "RIGHT",
                ["body"] = comment.Body,
            });
        }

        var body = new JsonObject
        {
            ["commit_id"] = review.CommitId,
            ["body"] = review.Body,
            ["event"] = ReviewEvent,
            ["comments"] = comments,
        };
        var created = await json.PostAsync($"{Repo}/pulls/{N(number)}/reviews", body, cancellationToken);
        return new CreatedReview(Json.Long(created, "id") ?? 0, Json.Str(created, "html_url"));
    }

    internal static PullRequestInfo ReadPullRequest(JsonElement pr) => new(
        (int)(Json.Long(pr, "number") ?? 0),
        Json.Str(pr, "title") ?? string.Empty,
        Json.Str(pr, "body"),
        Json.Str(pr, "state") ?? string.Empty,
        Json.Bool(pr, "draft"),
        Json.Str(pr, "head", "sha") ?? string.Empty,
        Json.Str(pr, "head", "ref") ?? string.Empty,
        Json.Str(pr, "head", "repo", "full_name"),
        Json.Str(pr, "base", "ref") ?? string.Empty,
        Json.Str(pr, "base", "sha") ?? string.Empty,
        Json.Str(pr, "user", "login") ?? string.Empty,
        Json.Str(pr, "html_url") ?? string.Empty);

    private static PullRequestFile ReadFile(JsonElement file) => new(
        Json.Str(file, "filename") ?? string.Empty,
        Json.Str(file, "status") ?? string.Empty,
        (int)(Json.Long(file, "additions") ?? 0),
        (int)(Json.Long(file, "deletions") ?? 0),
        Json.Str(file, "patch"),
        Json.Str(file, "previous_filename"));

    private static string N(int number) => number.ToString(CultureInfo.InvariantCulture);
}
