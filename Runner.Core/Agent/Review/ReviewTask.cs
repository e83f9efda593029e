using System.Globalization;
using System.Text;
using Microsoft.Extensions.Logging;
using Runner.Core.Agent.Archive;
using Runner.Core.Agent.Comments;
using Runner.Core.Agent.Loop;
using Runner.Core.Agent.Tools;
using Runner.Core.GitHub.PullRequests;
using Runner.Core.Llm;

namespace Runner.Core.Agent.Review;

/// <summary>
/// Reviews a pull request: the model reads the numbered diff (and, through the read-only tools, the head commit's
/// code) and answers in JSON; Runner checks every anchor against the diff and posts one <c>COMMENT</c> review per head
/// commit. On a push only the new commits are shown, and findings an earlier Runner review posted are not repeated.
/// </summary>
internal sealed class ReviewTask(ILlmClient llm, RepositoryArchiveCache archiveCache, ILogger<ReviewTask> logger)
{
    /// <param name="run">The run; its <see cref="IssueRun.Sha"/> is the default branch's head (the configuration's commit).</param>
    /// <param name="requested">A writer's <c>/runner review</c>: a fresh full review of the current head, even if it was reviewed.</param>
    /// <returns>The sticky summary, or null when the head was already reviewed and nothing was asked.</returns>
    public async Task<TaskOutcome?> RunAsync(IssueRun run, bool requested, CancellationToken cancellationToken)
    {
        var api = new PullRequestApi(run.Client, run.Repository);
        var number = run.Issue.Number;
        var pull = await api.GetAsync(number, cancellationToken);
        var earlier = (await api.ListReviewsAsync(number, cancellationToken))
            .Where(IsRunner)
            .Select(r => ReviewMarkers.ReviewedSha(r.Body))
            .OfType<string>()
            .ToList();
        var lastReviewed = earlier.Count > 0 ? earlier[^1] : null;
        if (lastReviewed == pull.HeadSha && !requested)
        {
            logger.LogInformation("Review of {Repository}#{Number} skipped: head {Sha} already reviewed", run.Repository, number, pull.HeadSha);
            return null;
        }

        var pullFiles = await api.ListFilesAsync(number, cancellationToken);
        var (shown, incrementalFrom) = await FilesToReviewAsync(api, pullFiles, lastReviewed, pull.HeadSha, requested, cancellationToken);
        var selection = ReviewFileSelector.Select(shown, new PathFilter(run.Config.Config.Ignore), ReviewBudget.Default);
        if (selection.Included.Count == 0)
        {
            return new TaskOutcome(Summary(pull, incrementalFrom, selection, null, null, "Nothing to review: no changed file with a diff Runner may read."), null, 0);
        }

        var headRun = run with { Sha = pull.HeadSha };
        using var tools = headRun.CreateTools(archiveCache);
        var conversation = new AgentConversation(llm, run.Budget, tools, ReviewPrompt.Build(run, pull, selection, incrementalFrom), run.Meter);
        var text = await conversation.RunAsync(cancellationToken);
        var answer = ReviewAnswerParser.TryParse(text);
        if (answer is null && text.Length > 0
            && await conversation.FollowUpAsync(ReviewAnswerParser.RepairPrompt, cancellationToken) is { } retried)
        {
            answer = ReviewAnswerParser.TryParse(retried);
        }

        if (answer is null)
        {
            logger.LogWarning("Review of {Repository}#{Number}: the model's answer could not be read; nothing posted", run.Repository, number);
            var unreadable = text.Length == 0
                ? "The model gave no answer, so Runner posted no review."
                : "The model's answer could not be read as a review (even after one reminder), so Runner posted no inline comments.";
            return new TaskOutcome(Summary(pull, incrementalFrom, selection, null, null, unreadable)
                + BudgetNote.Render(conversation, answered: false), conversation.Model, conversation.Usage.TotalTokens);
        }

        // GitHub checks `line` against the pull request's own diff at commit_id, not against the compare diff the model saw.
        var pullPatches = pullFiles.ToDictionary(f => f.Path, f => f.Patch, StringComparer.Ordinal);
        var anchors = selection.Included
            .Where(i => pullPatches.ContainsKey(i.File.Path))
            .ToDictionary(i => i.File.Path, i => FilePatch.Parse(pullPatches[i.File.Path]), StringComparer.Ordinal);
        var posted = ReviewChecker.PostedAnchors(await api.ListReviewCommentsAsync(number, cancellationToken), IsRunner);
        var checkedReview = ReviewChecker.Check(answer, anchors, posted);
        var created = await api.CreateReviewAsync(number, checkedReview.ToDraft(pull.HeadSha), cancellationToken);
        logger.LogInformation(
            "Reviewed {Repository}#{Number} at {Sha} ({Scope}): {Inline} inline, {Outside} outside the diff, {Repeated} repeated, {Skipped} files skipped, {Steps} model calls, {Tokens} tokens",
            run.Repository, number, pull.HeadSha, incrementalFrom is null ? "full" : "incremental", checkedReview.Comments.Count,
            checkedReview.OutsideDiff.Count, checkedReview.Repeated.Count, selection.Skipped.Count, conversation.Steps, conversation.Usage.TotalTokens);

        return new TaskOutcome(Summary(pull, incrementalFrom, selection, checkedReview, created, null)
            + BudgetNote.Render(conversation, answered: true), conversation.Model, conversation.Usage.TotalTokens);
    }

    /// <summary>Incremental after an earlier review when the old head is still an ancestor; the whole pull request otherwise.</summary>
    private static async Task<(IReadOnlyList<PullRequestFile> Files, string? IncrementalFrom)> FilesToReviewAsync(
        PullRequestApi api, IReadOnlyList<PullRequestFile> pullFiles, string? lastReviewed, string head, bool requested,
        CancellationToken cancellationToken)
    {
        if (requested || lastReviewed is null)
        {
            return (pullFiles, null);
        }

        var comparison = await api.CompareAsync(lastReviewed, head, cancellationToken);
        if (!comparison.IsIncremental)
        {
            return (pullFiles, null);
        }

        // A file changed by the new commits but no longer part of the pull request (reverted to its base) has nothing to anchor to.
        var inPull = pullFiles.Select(f => f.Path).ToHashSet(StringComparer.Ordinal);
        return (comparison.Files.Where(f => inPull.Contains(f.Path)).ToList(), lastReviewed);
    }

    private static bool IsRunner(PostedReview review) => review.AuthorType == "Bot" && review.State != "DISMISSED";

    private static bool IsRunner(PostedReviewComment comment) => comment.AuthorType == "Bot";

    private static string Summary(PullRequestInfo pull, string? incrementalFrom, ReviewSelection selection,
        CheckedReview? review, CreatedReview? created, string? problem)
    {
        var text = new StringBuilder("### Runner review\n\n");
        var head = Short(pull.HeadSha);
        text.Append(incrementalFrom is null
            ? $"Reviewed the whole pull request at `{head}`"
            : $"Reviewed the commits since `{Short(incrementalFrom)}` up to `{head}`");
        text.Append(CultureInfo.InvariantCulture, $": {selection.Included.Count} file{(selection.Included.Count == 1 ? "" : "s")}.");
        if (created is not null && review is not null)
        {
            var link = created.HtmlUrl is { } url ? $"[the review]({url})" : "the review";
            text.Append(CultureInfo.InvariantCulture,
                $" {review.Comments.Count} inline comment{(review.Comments.Count == 1 ? "" : "s")} in {link}");
            if (review.OutsideDiff.Count > 0)
            {
                text.Append(CultureInfo.InvariantCulture, $"; {review.OutsideDiff.Count} finding{(review.OutsideDiff.Count == 1 ? "" : "s")} outside the diff, listed in the review's summary");
            }

            if (review.Repeated.Count > 0)
            {
                text.Append(CultureInfo.InvariantCulture, $"; {review.Repeated.Count} already posted by an earlier review, not repeated");
            }

            text.Append('.');
        }

        if (problem is not null)
        {
            text.Append("\n\n").Append(problem);
        }

        if (selection.Skipped.Count > 0)
        {
            text.Append(CultureInfo.InvariantCulture, $"\n\n<details><summary>Not reviewed ({selection.Skipped.Count})</summary>\n\n");
            foreach (var skipped in selection.Skipped.Take(100))
            {
                text.Append(CultureInfo.InvariantCulture, $"- {MarkdownText.Code(skipped.Path)}: {skipped.Describe()}\n");
            }

            if (selection.Skipped.Count > 100)
            {
                text.Append(CultureInfo.InvariantCulture, $"- … and {selection.Skipped.Count - 100} more\n");
            }

            text.Append("\n</details>");
        }

        text.Append("\n\nRunner only comments: it never approves or requests changes. A writer can ask for a fresh review with `/runner review`.");
        return text.ToString();
    }

    private static string Short(string sha) => sha[..Math.Min(7, sha.Length)];
}
