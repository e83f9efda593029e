using System.Globalization;
using Runner.Core.Agent.Review;
using Runner.Core.GitHub.PullRequests;

namespace Runner.Core.Agent.Fix;

/// <summary>What publishing a fix did.</summary>
/// <param name="PullRequest">The draft pull request opened or updated; null when nothing was opened.</param>
/// <param name="NotOpened">Why nothing was opened (empty change set, a branch Runner may not write), or null.</param>
/// <param name="Updated">True when an earlier fix's branch and pull request were updated instead of created.</param>
internal sealed record FixPublication(PullRequestRef? PullRequest, string? NotOpened, bool Updated, string? CommitSha);

/// <summary>
/// Commits a change set through the Git Data API (blobs → tree on the default branch's head → commit) to
/// <c>runner/issue-&lt;n&gt;</c> and opens a draft pull request "Fixes #n", or updates both on a second run.
/// Runner writes only to branches it created: a new <c>runner/</c> branch, or one whose head commit is Runner's own
/// (it carries the <see cref="Trailer"/>); never the default branch, never any other existing branch, and never
/// over a commit someone else pushed to its branch.
/// </summary>
internal sealed class FixPublisher(GitDataApi git)
{
    public const string BranchPrefix = "runner/";
    public const string TrailerName = "Runner-Fix";

    public static string BranchFor(int issue) => $"{BranchPrefix}issue-{issue.ToString(CultureInfo.InvariantCulture)}";

    public static string Trailer(int issue) => $"{TrailerName}: issue-{issue.ToString(CultureInfo.InvariantCulture)}";

    public async Task<FixPublication> PublishAsync(
        string defaultBranch, int issue, FixChangeSet changes, FixAnswer answer, CancellationToken cancellationToken)
    {
        if (changes.IsEmpty)
        {
            return new FixPublication(null, "the change set is empty: the run wrote no files", false, null);
        }

        var branch = BranchFor(issue);
        if (RefuseBranch(branch, defaultBranch) is { } refusal)
        {
            return new FixPublication(null, refusal, false, null);
        }

        var existing = await git.GetBranchShaAsync(branch, cancellationToken);
        if (existing is not null)
        {
            var (_, message) = await git.GetCommitAsync(existing, cancellationToken);
            if (!IsRunnerCommit(message, issue))
            {
                return new FixPublication(null,
                    $"branch {branch} exists and its head commit was not made by Runner, so Runner does not overwrite it", false, null);
            }
        }

        var baseSha = await git.GetBranchShaAsync(defaultBranch, cancellationToken)
            ?? throw new InvalidOperationException($"The default branch {defaultBranch} does not exist");
        var (baseTree, _) = await git.GetCommitAsync(baseSha, cancellationToken);
        var blobs = new Dictionary<string, (string?, string)>(StringComparer.Ordinal);
        foreach (var change in changes.Changes)
        {
            blobs[change.Path] = (change.Content is null ? null : await git.CreateBlobAsync(change.Content, cancellationToken), change.Mode);
        }

        var tree = await git.CreateTreeAsync(baseTree, blobs, cancellationToken);
        var commitMessage = $"{answer.Title}\n\nFixes #{issue.ToString(CultureInfo.InvariantCulture)}\n\n{Trailer(issue)}";
        var commit = await git.CreateCommitAsync(commitMessage, tree, baseSha, cancellationToken);
        if (existing is null)
        {
            await git.CreateBranchAsync(branch, commit, cancellationToken);
        }
        else
        {
            await git.ForceUpdateBranchAsync(branch, commit, cancellationToken);
        }

        var body = PullRequestBody(issue, answer);
        var open = await git.FindOpenPullRequestAsync(branch, defaultBranch, cancellationToken);
        var pullRequest = open is null
            ? await git.CreateDraftPullRequestAsync(answer.Title, body, branch, defaultBranch, cancellationToken)
            : await git.UpdatePullRequestAsync(open.Number, answer.Title, body, cancellationToken);
        return new FixPublication(pullRequest, null, existing is not null || open is not null, commit);
    }

    /// <summary>The branch rule: only <c>runner/…</c>, never the default branch (even if it were named so).</summary>
    internal static string? RefuseBranch(string branch, string defaultBranch) =>
        !branch.StartsWith(BranchPrefix, StringComparison.Ordinal) || branch.Contains("..", StringComparison.Ordinal)
            ? $"Runner only writes to branches under {BranchPrefix}"
            : string.Equals(branch, defaultBranch, StringComparison.OrdinalIgnoreCase)
                ? "Runner never writes to the default branch"
                : null;

    internal static bool IsRunnerCommit(string message, int issue) =>
        message.Split('\n').Any(line => line.Trim() == Trailer(issue));

    internal static string PullRequestBody(int issue, FixAnswer answer)
    {
        var description = ReviewChecker.Prose(answer.Body);
        return $"<!-- runner:fix issue:{issue.ToString(CultureInfo.InvariantCulture)} -->\n"
            + (description.Length > 0 ? description + "\n\n" : string.Empty)
            + $"Fixes #{issue.ToString(CultureInfo.InvariantCulture)}\n\n"
            + "<sub>Draft opened by Runner. Review it like any contribution: nothing in it was run or tested by Runner.</sub>";
    }
}
