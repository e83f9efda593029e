using System.Text;
using Runner.Core.Agent.Comments;
using Runner.Core.Llm;

namespace Runner.Core.Agent.Loop;

/// <summary>
/// One run's conversation with the model: the bounded tool loop and its accounting. Tools, budgets and the
/// system prompt are fixed by code before the first call; nothing the model or the issue says changes them.
/// </summary>
internal sealed class AgentConversation(
    ILlmClient llm, AgentBudget budget, IToolExecutor? tools, IEnumerable<ChatMessage> prompt, RunMeter? meter = null)
{
    private const string LastStepInstruction =
        "[Runner] This is your last step: tools are no longer available. Answer now with what you have, in the "
        + "format asked for, and say briefly what you could not check.";

    private readonly List<ChatMessage> messages = [.. prompt];
    private readonly List<string> toolsRun = [];
    private readonly List<string> notDone = [];

    public TokenUsage Usage { get; private set; } = TokenUsage.None;

    public int Steps { get; private set; }

    /// <summary>The model that answered (from its reply), or the configured one before any call.</summary>
    public string Model { get; private set; } = llm.Model;

    public BudgetStop Stop { get; private set; }

    /// <summary>Tool calls run, as short descriptions, in order.</summary>
    public IReadOnlyList<string> ToolsRun => toolsRun;

    /// <summary>What the budget left undone: tool calls not run, results the model never saw.</summary>
    public IReadOnlyList<string> NotDone => notDone;

    public IReadOnlyList<ChatMessage> Messages => messages;

    public AgentBudget Budget => budget;

    /// <summary>Runs the tool loop until the model answers or a budget ends it.</summary>
    /// <returns>The model's final text; empty when the token budget ran out before it answered.</returns>
    public async Task<string> RunAsync(CancellationToken cancellationToken)
    {
        List<string> unseen = [];
        while (true)
        {
            var remaining = budget.MaxTokens - Usage.TotalTokens;
            var estimate = EstimatePromptTokens(withTools: tools is not null);
            if (estimate + budget.CompletionReserve > remaining)
            {
                Stop = BudgetStop.Tokens;
                notDone.AddRange(unseen.Count > 0 ? unseen.Select(u => $"reading the result of {u}") : ["answering"]);
                return string.Empty;
            }

            var lastByTokens = 2 * (estimate + budget.CompletionReserve) > remaining;
            var last = tools is null || Steps + 1 >= budget.MaxSteps || lastByTokens;
            var result = await CallAsync(last && tools is not null ? [.. messages, ChatMessage.User(LastStepInstruction)] : messages,
                last ? null : tools!.Definitions, cancellationToken);
            if (result.ToolCalls.Count == 0 || last)
            {
                if (last && tools is not null)
                {
                    Stop = Steps >= budget.MaxSteps ? BudgetStop.Steps : BudgetStop.Tokens;
                    notDone.AddRange(result.ToolCalls.Select(tools.Describe));
                }

                messages.Add(ChatMessage.Assistant(result.Content));
                return result.Content;
            }

            messages.Add(ChatMessage.Assistant(result.Content, result.ToolCalls));
            var perCall = PerCallChars(result.ToolCalls.Count);
            var round = new List<string>();
            foreach (var call in result.ToolCalls)
            {
                var output = await tools!.ExecuteAsync(call, perCall, cancellationToken);
                messages.Add(ChatMessage.ToolResult(call, output));
                var description = tools.Describe(call);
                toolsRun.Add(description);
                round.Add(description);
            }

            unseen = round;
        }
    }

    /// <summary>
    /// One more call without tools (e.g. "reply with only the JSON"), when the budget still has room for it.
    /// </summary>
    /// <returns>The model's reply, or null when no step or not enough tokens are left.</returns>
    public async Task<string?> FollowUpAsync(string instruction, CancellationToken cancellationToken)
    {
        messages.Add(ChatMessage.User($"[Runner] {instruction}"));
        var remaining = budget.MaxTokens - Usage.TotalTokens;
        if (Steps >= budget.MaxSteps || EstimatePromptTokens(withTools: false) + budget.CompletionReserve > remaining)
        {
            messages.RemoveAt(messages.Count - 1);
            return null;
        }

        var result = await CallAsync(messages, null, cancellationToken);
        messages.Add(ChatMessage.Assistant(result.Content));
        return result.Content;
    }

    private async Task<ChatResult> CallAsync(IReadOnlyList<ChatMessage> request, IReadOnlyList<ToolDefinition>? definitions, CancellationToken cancellationToken)
    {
        ChatResult result;
        try
        {
            result = await llm.ChatAsync(new ChatRequest(request.ToList(), definitions), cancellationToken);
        }
        catch (Exception exception) when (exception is not LlmException && !cancellationToken.IsCancellationRequested)
        {
            // Whatever escapes the client (a timeout, a bug) still failed at the LLM step: say so in the client's own terms.
            throw new LlmTransientException(LlmFailureKind.RetriesExhausted, exception.Message, 0, innerException: exception);
        }

        Steps++;
        Usage = Usage.Add(result.Usage);
        if (!string.IsNullOrEmpty(result.Model))
        {
            Model = result.Model;
        }

        meter?.Record(Model, result.Usage.TotalTokens);

        return result;
    }

    private int PerCallChars(int calls)
    {
        var remainingChars = (budget.MaxTokens - Usage.TotalTokens - EstimatePromptTokens(withTools: true)) * AgentBudget.CharsPerToken;
        var share = remainingChars / (2 * Math.Max(1, calls));
        return Math.Clamp(share, 500, budget.ToolOutputMaxChars);
    }

    private int EstimatePromptTokens(bool withTools)
    {
        var chars = 0;
        foreach (var message in messages)
        {
            chars += message.Content.Length + 16;
            foreach (var call in message.ToolCalls ?? [])
            {
                chars += call.Name.Length + call.Arguments.GetRawText().Length + 16;
            }
        }

        if (withTools && tools is not null)
        {
            chars += tools.Definitions.Sum(d => d.Name.Length + d.Description.Length + d.Parameters.GetRawText().Length);
        }

        return AgentBudget.EstimateTokens(chars + Encoding.UTF8.GetByteCount(LastStepInstruction));
    }
}
