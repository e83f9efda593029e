using System.Text;
using Microsoft.Extensions.Logging;
using Runner.Core.Agent.Archive;
using Runner.Core.Agent.Comments;
using Runner.Core.Agent.Loop;
using Runner.Core.Agent.Tools;
using Runner.Core.Llm;

namespace Runner.Core.Agent.Ask;

/// <summary><c>/runner ask</c>: the model answers from the code it reads through the tools; Runner lists what it read.</summary>
internal sealed class AskTask(ILlmClient llm, RepositoryArchiveCache archiveCache, ILogger<AskTask> logger)
{
    private const int MaxListedFiles = 20;

    public async Task<TaskOutcome> RunAsync(IssueRun run, string question, string askedBy, CancellationToken cancellationToken)
    {
        using var tools = run.CreateTools(archiveCache);
        var conversation = new AgentConversation(llm, run.Budget, tools, AskPrompt.Build(run, question, askedBy), run.Meter);
        var answer = MarkdownText.ModelProse(await conversation.RunAsync(cancellationToken));
        logger.LogInformation(
            "Answered /runner ask on {Repository}#{Number}: {ToolCalls} tool calls, {Steps} model calls, {Tokens} tokens, stop {BudgetStop}",
            run.Repository, run.Issue.Number, conversation.ToolsRun.Count, conversation.Steps, conversation.Usage.TotalTokens, conversation.Stop);

        var body = new StringBuilder()
            .Append(MarkdownText.Quote(question, 500)).Append("\n\n")
            .Append(answer.Length > 0 ? answer : AnswerNotes.InsteadOfEmpty(conversation))
            .Append(FilesRead(run, tools.FilesRead))
            .Append(BudgetNote.Render(conversation, answered: answer.Length > 0));
        return new TaskOutcome(body.ToString(), conversation.Model, conversation.Usage.TotalTokens);
    }

    private static string FilesRead(IssueRun run, IReadOnlyList<FileRead> reads)
    {
        var files = reads
            .GroupBy(r => r.Path, StringComparer.Ordinal)
            .Select(g => (Path: g.Key, First: g.Min(r => r.FirstLine), Last: g.Max(r => r.LastLine)))
            .ToList();
        if (files.Count == 0)
        {
            return string.Empty;
        }

        var lines = files.Take(MaxListedFiles)
            .Select(f => $"- [{MarkdownText.Code(f.Path)}]({run.BlobUrl(f.Path, f.First, f.Last)}) lines {f.First}–{f.Last}");
        var more = files.Count > MaxListedFiles ? $"\n- … and {files.Count - MaxListedFiles} more" : string.Empty;
        return $"\n\n<details><summary>Files read ({files.Count}) at {run.Sha[..7]}</summary>\n\n{string.Join('\n', lines)}{more}\n\n</details>";
    }
}
