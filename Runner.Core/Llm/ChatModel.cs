using System.Text.Json;

namespace Runner.Core.Llm;

public enum ChatRole
{
    System,
    User,
    Assistant,
    Tool,
}

/// <summary>One message of a conversation.</summary>
/// <param name="ToolCalls">On assistant messages: the tool calls the model asked for.</param>
/// <param name="ToolCallId">On tool messages: the id of the call this message answers.</param>
/// <param name="ToolName">On tool messages: the name of the tool that answered.</param>
public sealed record ChatMessage(
    ChatRole Role,
    string Content,
    IReadOnlyList<ToolCall>? ToolCalls = null,
    string? ToolCallId = null,
    string? ToolName = null)
{
    public static ChatMessage System(string content) => new(ChatRole.System, content);

    public static ChatMessage User(string content) => new(ChatRole.User, content);

    public static ChatMessage Assistant(string content, IReadOnlyList<ToolCall>? toolCalls = null) =>
        new(ChatRole.Assistant, content, toolCalls);

    public static ChatMessage ToolResult(ToolCall call, string content) =>
        new(ChatRole.Tool, content, ToolCallId: call.Id, ToolName: call.Name);
}

/// <summary>A function the model may call. <paramref name="Parameters"/> is a JSON Schema object.</summary>
public sealed record ToolDefinition(string Name, string Description, JsonElement Parameters);

/// <summary>
/// A tool call the model made. <paramref name="Arguments"/> is always a JSON object, whichever API format
/// carried it (native Ollama sends an object, OpenAI-compatible servers a JSON string).
/// </summary>
public sealed record ToolCall(string Id, string Name, JsonElement Arguments);

public sealed record ChatRequest(
    IReadOnlyList<ChatMessage> Messages,
    IReadOnlyList<ToolDefinition>? Tools = null,
    double? Temperature = null);

public sealed record TokenUsage(int PromptTokens, int CompletionTokens)
{
    public static TokenUsage None { get; } = new(0, 0);

    public int TotalTokens => PromptTokens + CompletionTokens;

    public TokenUsage Add(TokenUsage other) =>
        new(PromptTokens + other.PromptTokens, CompletionTokens + other.CompletionTokens);
}

/// <summary>Why the model stopped writing, as far as it matters to whoever posts the answer.</summary>
public enum ChatFinish
{
    /// <summary>A natural stop or tool calls (Ollama <c>done_reason</c> "stop", OpenAI <c>finish_reason</c> "stop"/"tool_calls"), or no reason given.</summary>
    Complete,

    /// <summary>Cut off by a length limit (<c>"length"</c>): the output budget or the context window ran out.</summary>
    Length,

    /// <summary>Cut off by the provider's content filter (OpenAI <c>"content_filter"</c>).</summary>
    ContentFilter,
}

/// <summary>The assembled answer of one chat call.</summary>
/// <param name="Finish">Whether the answer is complete or was cut off.</param>
/// <param name="FinishReason">The server's own word for why it stopped (<c>done_reason</c> / <c>finish_reason</c>), when it sent one.</param>
/// <param name="Refusal">OpenAI-format refusal text (<c>delta.refusal</c> / <c>message.refusal</c>), when the model refused.</param>
public sealed record ChatResult(
    string Content,
    IReadOnlyList<ToolCall> ToolCalls,
    TokenUsage Usage,
    string Model,
    TimeSpan Duration,
    ChatFinish Finish = ChatFinish.Complete,
    string? FinishReason = null,
    string? Refusal = null);
