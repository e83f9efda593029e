using System.Globalization;
using System.Text;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Runner.Core.Agent.Archive;
using Runner.Core.Agent.Comments;
using Runner.Core.Agent.Loop;
using Runner.Core.GitHub.PullRequests;
using Runner.Core.Llm;

namespace Runner.Core.Agent.Fix;

/// <summary>
/// Issue → draft pull request: the model reads the code and writes an in-memory change set through <see cref="FixTools"/>;
/// Runner checks every write against the safety rules and budgets, then <see cref="FixPublisher"/> commits it to
/// <c>runner/issue-&lt;n&gt;</c> and opens (or updates) one draft pull request. A run stopped by a budget opens nothing.
/// </summary>
internal sealed class FixTask(ILlmClient llm, RepositoryArchiveCache archiveCache, IOptions<FixOptions> options, ILogger<FixTask> logger)
{
    /// <param name="run">The run; its <see cref="IssueRun.Sha"/> is the default branch's head, the fix's parent.</param>
    /// <param name="defaultBranch">The branch the draft pull request targets.</param>
    public async Task<TaskOutcome> RunAsync(IssueRun run, string defaultBranch, string instructions, string requestedBy, CancellationToken cancellationToken)
    {
        var git = new GitDataApi(run.Client, run.Repository);
        var (entries, truncated) = await git.GetTreeRecursiveAsync(run.Sha, cancellationToken);
        if (truncated)
        {
            // Without the whole tree, links and submodules Runner must not write through would go unseen.
            return new TaskOutcome(Heading + "Runner opened nothing: the repository's file tree is too large for GitHub to list in one answer, "
                + "so Runner cannot check that its writes avoid symbolic links and submodules.", null, 0);
        }

        var limits = options.Value;
        var changes = new FixChangeSet(new RepositoryPaths(entries), limits.MaxFiles, limits.MaxBytes);
        using var read = run.CreateTools(archiveCache);
        var tools = new FixTools(read, changes);
        var conversation = new AgentConversation(llm, run.Budget, tools, FixPrompt.Build(run, instructions, requestedBy, limits), run.Meter);
        var text = await conversation.RunAsync(cancellationToken);
        var refusals = conversation.Messages
            .Where(m => m.Role == ChatRole.Tool && m.Content.StartsWith("Error: refused by rule", StringComparison.Ordinal))
            .Select(m => m.Content)
            .ToList();

        string? notOpened = null;
        FixAnswer? answer = null;
        if (conversation.Stop != BudgetStop.None)
        {
            notOpened = $"the run reached its {(conversation.Stop == BudgetStop.Steps ? "step" : "token")} budget before it finished, "
                + "and Runner does not propose a change the model may not have completed";
        }
        else
        {
            answer = FixAnswerParser.TryParse(text);
            if (answer is null && text.Length > 0
                && await conversation.FollowUpAsync(FixAnswerParser.RepairPrompt, cancellationToken) is { } retried)
            {
                answer = FixAnswerParser.TryParse(retried);
            }

            if (answer is null && !changes.IsEmpty)
            {
                notOpened = "the model's final answer (the pull request's title and description) could not be read";
            }
        }

        FixPublication? publication = null;
        if (notOpened is null)
        {
            publication = await new FixPublisher(git).PublishAsync(defaultBranch, run.Issue.Number, changes,
                answer ?? new FixAnswer("(no change)", string.Empty), cancellationToken);
            notOpened = publication.NotOpened;
        }

        logger.LogInformation(
            "Fix of {Repository}#{Number}: {Files} files, {Bytes} bytes, {Refused} writes refused, pull request {PullRequest}, {Steps} model calls, {Tokens} tokens, stop {BudgetStop}",
            run.Repository, run.Issue.Number, changes.Changes.Count, changes.BytesWritten, refusals.Count,
            publication?.PullRequest?.Number.ToString(CultureInfo.InvariantCulture) ?? "none", conversation.Steps, conversation.Usage.TotalTokens, conversation.Stop);

        var body = new StringBuilder(Heading);
        if (publication?.PullRequest is { } pull)
        {
            body.Append(CultureInfo.InvariantCulture,
                $"{(publication.Updated ? "Updated" : "Opened")} the draft pull request #{pull.Number}: {pull.HtmlUrl} (branch `{pull.HeadRef}`), changing {changes.Changes.Count} file{(changes.Changes.Count == 1 ? "" : "s")}:\n\n");
            foreach (var change in changes.Changes)
            {
                body.Append(CultureInfo.InvariantCulture, $"- {MarkdownText.Code(change.Path)}{(change.Content is null ? " (deleted)" : string.Empty)}\n");
            }

            body.Append("\nNothing was run or tested: review it like any contribution.");
        }
        else
        {
            body.Append("Runner opened no pull request: ").Append(notOpened ?? "nothing was changed").Append('.');
            if (answer is not null && changes.IsEmpty && ReviewBody(answer) is { Length: > 0 } explanation)
            {
                body.Append("\n\n").Append(MarkdownText.Quote(explanation, 2_000));
            }
        }

        if (refusals.Count > 0)
        {
            body.Append(CultureInfo.InvariantCulture, $"\n\n<details><summary>Writes Runner refused ({refusals.Count})</summary>\n\n");
            foreach (var refusal in refusals.Take(20))
            {
                body.Append("- ").Append(Review.MentionGuard.Neutralise(MarkdownText.OneLine(refusal["Error: ".Length..], 300))).Append('\n');
            }

            body.Append("\n</details>");
        }

        body.Append(BudgetNote.Render(conversation, answered: text.Length > 0));
        return new TaskOutcome(body.ToString(), conversation.Model, conversation.Usage.TotalTokens);
    }

    private const string Heading = "### Runner fix\n\n";

    private static string ReviewBody(FixAnswer answer) => Review.ReviewChecker.Prose(answer.Body);
}
