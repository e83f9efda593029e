using Runner.Core.Agent.Commands;
using Runner.Core.GitHub;
using Runner.Core.Llm;

namespace Runner.Core.Agent.Comments;

/// <summary>The comments that need no model: help, the refusal, the failure notice, the configuration warning.</summary>
internal static class Notices
{
    public static string Help(RunnerCommand? command)
    {
        var intro = command switch
        {
            { Kind: RunnerCommandKind.Unknown } => $"Runner does not know the command {MarkdownText.Code($"/runner {command.Name}")}. These are the commands:\n\n",
            { Kind: RunnerCommandKind.Ask } => $"{MarkdownText.Code("/runner ask")} needs a question, e.g. {MarkdownText.Code("/runner ask where are retries configured?")}\n\n",
            _ => string.Empty,
        };
        return $"""
            ### Runner commands

            {intro}| Command | What it does |
            | --- | --- |
            | `/runner ask <question>` | Answers a question about the code, reading the repository's default branch. |
            | `/runner triage` | Triages this issue again: summary, labels, possible duplicates, missing information. |
            | `/runner review` | On a pull request: reviews its current head again, with inline comments. |
            | `/runner fix [instructions]` | On an issue: proposes a change as a draft pull request from `runner/issue-<n>`. |
            | `/runner help` | Shows this list. |

            Commands run for collaborators with write access or above. Maintainers configure Runner in `.github/runner.yml`.
            """;
    }

    public static string Refusal(string login) =>
        $"Thanks for the interest, @{login}. Runner only takes commands from collaborators with write access to this "
        + "repository, so it will not run this one. A maintainer can run it for you. (Runner says this once per issue.)";

    public static string ConfigProblem(string source, string problem) =>
        $"\n\n> [!WARNING]\n> {MarkdownText.Code(source)} is invalid ({MarkdownText.OneLine(problem, 300)}), so Runner used its defaults.";

    /// <summary>One sentence: what failed and whether the queue will try again.</summary>
    /// <param name="cause">What the run threw, before it was mapped to a job outcome.</param>
    /// <param name="permanent">The job outcome: true when the queue dead-letters the job instead of retrying it.</param>
    public static string Failure(string taskTitle, string rerun, Exception cause, bool permanent, int attempt, int maxAttempts)
    {
        var retry = permanent
            ? $"Runner will not retry; once the cause is fixed, {rerun}."
            : attempt >= maxAttempts
                ? $"Runner will not retry (all {maxAttempts} attempts used); {rerun}."
                : $"Runner will retry automatically (attempt {attempt} of {maxAttempts} failed).";
        return $"### {taskTitle}\n\n> [!WARNING]\n> Runner could not finish: {WhatFailed(cause)}. {retry}";
    }

    private static string WhatFailed(Exception exception)
    {
        var message = MarkdownText.OneLine(exception.Message, 300).TrimEnd('.');
        return exception switch
        {
            LlmException { InnerException: OperationCanceledException or TimeoutException } => "the LLM request timed out",
            LlmException => $"the LLM request failed ({message})",
            Octokit.ApiException api => $"a GitHub API call failed ({(int)api.StatusCode}: {message})",
            GitHubException => $"a GitHub API call failed ({message})",
            OperationCanceledException or TimeoutException => "a request timed out",
            _ => $"an internal error occurred ({exception.GetType().Name})",
        };
    }
}
