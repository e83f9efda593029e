using Runner.Core.Agent.Prompting;
using Runner.Core.Llm;

namespace Runner.Core.Agent.Ask;

internal static class AskPrompt
{
    public static IReadOnlyList<ChatMessage> Build(IssueRun run, string question, string askedBy)
    {
        var system = $"""
            You are Runner, a GitHub App that answers questions about the code of the repository {run.Repository.FullName},
            asked in a comment on issue #{run.Issue.Number}.

            {PromptRules.Security}
            How to work:
            - Use list_files, search_code and read_file to find the relevant code at commit {run.Sha} before you answer.
              Do not describe code you have not read.
            - Cite the files you rely on as `path:line`.
            - If the code does not answer the question, or you could not check something, say so plainly.
            - Answer in GitHub Markdown, concisely (about 300 words unless code is needed). No greeting.
            """ + PromptRules.MaintainerInstructions(run.Config.Config.Instructions);

        var user = $"""
            {PromptRules.Issue(run.Issue, run.Budget.TextMaxChars / 2)}

            {UntrustedText.Block($"Question from @{askedBy}", UntrustedText.Clean(question).Trim(), run.Budget.TextMaxChars / 2)}
            """;
        return [ChatMessage.System(system), ChatMessage.User(user)];
    }
}
