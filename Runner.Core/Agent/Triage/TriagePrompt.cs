using System.Text;
using Octokit;
using Runner.Core.Agent.Prompting;
using Runner.Core.Llm;

namespace Runner.Core.Agent.Triage;

internal static class TriagePrompt
{
    public const int MaxLabels = 200;
    private const int CandidateBodyChars = 200;

    public const string JsonReminder =
        "Your answer could not be read. Reply with only the JSON object described in the instructions, nothing else.";

    public static IReadOnlyList<ChatMessage> Build(IssueRun run, IReadOnlyList<Label> labels, IReadOnlyList<CandidateIssue> candidates)
    {
        var system = $$"""
            You are Runner, a GitHub App that triages issues of the repository {{run.Repository.FullName}} for its maintainers.
            Be factual and brief; no greetings, no speculation presented as fact.

            {{PromptRules.Security}}
            Your task, for the issue below:
            1. summary: what the issue reports or asks for, in at most three sentences.
            2. labels: labels that fit, copied exactly from the list of existing labels. Never invent a label; an empty list is fine.
            3. duplicates: issues from the candidate list that report the same problem or request, by number, with a one-line reason. Only when you are confident; an empty list is fine.
            4. missing_information: what the reporter should add so a maintainer can act (for a bug: version, steps to reproduce, expected and actual behaviour, logs), only what is really missing.
            You may call list_files, read_file and search_code to check the code base at commit {{run.Sha}} when that makes the triage better; you need not.

            Answer with one JSON object and nothing else:
            {"summary": "...", "labels": ["..."], "duplicates": [{"number": 123, "reason": "..."}], "missing_information": ["..."]}
            """ + PromptRules.MaintainerInstructions(run.Config.Config.Instructions);

        var user = new StringBuilder()
            .AppendLine(PromptRules.Issue(run.Issue, run.Budget.TextMaxChars))
            .AppendLine()
            .AppendLine(UntrustedText.Block("Existing labels of the repository (name: description)", LabelList(labels), run.Budget.TextMaxChars / 2))
            .AppendLine()
            .Append(candidates.Count == 0
                ? "Candidate issues for duplicates: none."
                : UntrustedText.Block("Candidate issues for duplicates", CandidateList(candidates), run.Budget.TextMaxChars / 2));
        return [ChatMessage.System(system), ChatMessage.User(user.ToString())];
    }

    private static string LabelList(IReadOnlyList<Label> labels) => labels.Count == 0
        ? "(the repository has no labels)"
        : string.Join('\n', labels.Take(MaxLabels).Select(l =>
            $"- {UntrustedText.Clean(l.Name)}{(string.IsNullOrWhiteSpace(l.Description) ? string.Empty : $": {UntrustedText.Clean(l.Description)}")}"));

    private static string CandidateList(IReadOnlyList<CandidateIssue> candidates) =>
        string.Join('\n', candidates.Select(c =>
            $"- #{c.Number} ({(c.IsOpen ? "open" : "closed")}): {OneLine(c.Title, 200)} — {OneLine(c.Body, CandidateBodyChars)}"));

    private static string OneLine(string text, int max)
    {
        var line = string.Join(' ', UntrustedText.Clean(text).Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries));
        return line.Length <= max ? line : line[..max] + "…";
    }
}
