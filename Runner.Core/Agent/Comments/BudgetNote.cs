using System.Globalization;
using Runner.Core.Agent.Loop;

namespace Runner.Core.Agent.Comments;

/// <summary>Says in the comment when a budget cut the work short, and what was not done.</summary>
internal static class BudgetNote
{
    public static string Render(AgentConversation conversation, bool answered)
    {
        var budget = conversation.Budget;
        var reason = conversation.Stop switch
        {
            BudgetStop.Steps => $"Runner reached its step limit ({MarkdownText.Code(AgentOptions.MaxStepsVariable)} = {budget.MaxSteps}) and asked the model to answer with what it had read so far.",
            BudgetStop.Tokens when !answered => $"Runner reached its token budget ({MarkdownText.Code(AgentOptions.MaxTokensVariable)} = {Number(budget.MaxTokens)}, {Number(conversation.Usage.TotalTokens)} used) before the model could answer.",
            BudgetStop.Tokens => $"Runner reached its token budget ({MarkdownText.Code(AgentOptions.MaxTokensVariable)} = {Number(budget.MaxTokens)}, {Number(conversation.Usage.TotalTokens)} used) and asked the model to answer with what it had read so far.",
            _ => null,
        };
        if (reason is null)
        {
            return string.Empty;
        }

        var notDone = conversation.NotDone.Count == 0
            ? string.Empty
            : $"\n> Not done: {string.Join("; ", conversation.NotDone.Select(n => MarkdownText.OneLine(n, 120)))}.";
        return $"\n\n> [!NOTE]\n> {reason}{notDone}";
    }

    private static string Number(int value) => value.ToString("N0", CultureInfo.InvariantCulture);
}
