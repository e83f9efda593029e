using Microsoft.Extensions.Logging;
using Octokit;
using Runner.Core.Agent.Archive;
using Runner.Core.Agent.Comments;
using Runner.Core.Agent.Loop;
using Runner.Core.Agent.RepoConfig;
using Runner.Core.GitHub;
using Runner.Core.Llm;

namespace Runner.Core.Agent.Triage;

/// <summary>
/// Triage: the model reads the issue, the labels and the candidate duplicates (and, if it wants, the code)
/// and answers in JSON; Runner checks every label and duplicate against GitHub and writes the comment itself.
/// </summary>
internal sealed class TriageTask(ILlmClient llm, RepositoryArchiveCache archiveCache, ILogger<TriageTask> logger)
{
    private const int LabelPages = 3;

    public async Task<TaskOutcome> RunAsync(IssueRun run, CancellationToken cancellationToken)
    {
        var repository = run.Repository;
        var labels = await run.Client.Issue.Labels.GetAllForRepository(
            repository.Owner, repository.Name, new ApiOptions { PageSize = 100, PageCount = LabelPages });
        var candidates = await TriageCandidates.FindAsync(run.Client, repository, run.Issue, logger);

        using var tools = run.CreateTools(archiveCache);
        var conversation = new AgentConversation(llm, run.Budget, tools, TriagePrompt.Build(run, labels, candidates), run.Meter);
        var text = await conversation.RunAsync(cancellationToken);
        var answer = TriageAnswerParser.TryParse(text);
        if (answer is null && text.Length > 0
            && await conversation.FollowUpAsync(TriagePrompt.JsonReminder, cancellationToken) is { } retried)
        {
            answer = TriageAnswerParser.TryParse(retried);
        }

        var triage = CheckedTriage.Check(answer, labels, candidates, run.Issue.Number);
        var labelOutcome = await ApplyLabelsAsync(run, triage.Labels);
        logger.LogInformation(
            "Triage of {Repository}#{Number}: {LabelCount} labels ({LabelOutcome}), {DroppedLabelCount} invented labels dropped, {DuplicateCount} duplicates, {Steps} model calls, {Tokens} tokens",
            repository, run.Issue.Number, triage.Labels.Count, labelOutcome, triage.DroppedLabels.Count,
            triage.Duplicates.Count, conversation.Steps, conversation.Usage.TotalTokens);

        var body = TriageRenderer.Render(triage, labelOutcome, text)
            + BudgetNote.Render(conversation, answered: text.Length > 0);
        return new TaskOutcome(body, conversation.Model, conversation.Usage.TotalTokens);
    }

    private async Task<LabelOutcome> ApplyLabelsAsync(IssueRun run, IReadOnlyList<string> labels)
    {
        if (run.Config.Config.Labels != LabelMode.Apply || labels.Count == 0)
        {
            return LabelOutcome.Suggested;
        }

        var missing = labels.Where(l => !run.Issue.Labels.Contains(l, StringComparer.OrdinalIgnoreCase)).ToArray();
        if (missing.Length == 0)
        {
            return LabelOutcome.Applied;
        }

        try
        {
            await run.Client.Issue.Labels.AddToIssue(run.Repository.Owner, run.Repository.Name, run.Issue.Number, missing);
            return LabelOutcome.Applied;
        }
        catch (Exception exception) when (GitHubErrors.IsNoAccess(exception))
        {
            logger.LogWarning("Could not apply labels to {Repository}#{Number}, suggesting them instead: {Error}",
                run.Repository, run.Issue.Number, exception.Message);
            return LabelOutcome.ApplyRefused;
        }
    }
}
